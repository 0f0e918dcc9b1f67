//! The EXIF orientation, applied to the pixels; the original is then
//! re-encoded in its own format (without any metadata but the ICC profile),
//! since its stored pixels no longer match what is displayed.

use image::DynamicImage;
use image::metadata::Orientation;

use crate::{ImageFormat, Rejection, encode};

/// Re-encoded originals keep most of the quality of the upload.
const JPEG_QUALITY: u8 = 90;
const WEBP_QUALITY: f32 = 90.0;

/// Whether `orientation` moves pixels (anything but "as stored").
pub(crate) fn needs_turning(orientation: Orientation) -> bool {
    orientation != Orientation::NoTransforms
}

pub(crate) fn reencode(
    img: &DynamicImage,
    format: ImageFormat,
    icc: Option<&[u8]>,
    lossless_webp: bool,
) -> Result<Vec<u8>, Rejection> {
    match format {
        ImageFormat::Jpeg => encode::jpeg(img, JPEG_QUALITY, icc),
        ImageFormat::Png => encode::png(img, icc),
        ImageFormat::Webp => encode::webp(img, WEBP_QUALITY, lossless_webp, icc),
        ImageFormat::Gif | ImageFormat::Avif => Err(Rejection::unsupported(format!(
            "{format} images are not re-encoded"
        ))),
    }
}
