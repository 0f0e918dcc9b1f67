//! The full decode, with `image`'s pure-Rust decoders (zune-jpeg, png,
//! image-webp, gif) held to the probed size.

use std::io::Cursor;

use image::error::ImageError;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder};

use crate::container::Header;
use crate::{ImageFormat, Rejection, RejectionCode};

pub(crate) struct Decoded {
    /// As stored: the orientation is not applied yet.
    pub image: DynamicImage,
    pub orientation: Orientation,
}

/// The decoder may allocate the output (at most 8 bytes a pixel: RGBA16) and
/// its working buffers (a GIF or WebP canvas, JPEG's planes) within this.
fn alloc_budget(h: &Header) -> u64 {
    let pixels = u64::from(h.width) * u64::from(h.height);
    pixels.saturating_mul(16).saturating_add(64 << 20)
}

fn limits(h: &Header) -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(h.width);
    limits.max_image_height = Some(h.height);
    limits.max_alloc = Some(alloc_budget(h));
    limits
}

pub(crate) fn rejection(format: ImageFormat, e: ImageError) -> Rejection {
    match e {
        ImageError::Limits(e) => Rejection::new(
            RejectionCode::TooManyPixels,
            format!("decoding the image would take more memory than its size allows ({e})"),
        ),
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Rejection::truncated(format!("the {format} file ends in the middle of the image"))
        }
        ImageError::Unsupported(e) => Rejection::unsupported(format!(
            "this {format} image uses a feature we cannot decode: {e}"
        )),
        e => {
            let text = e.to_string();
            let lower = text.to_ascii_lowercase();
            if lower.contains("eof")
                || lower.contains("end of")
                || lower.contains("truncat")
                || lower.contains("no more data")
            {
                Rejection::truncated(format!(
                    "the {format} file ends in the middle of the image ({text})"
                ))
            } else {
                Rejection::corrupt(format!("the {format} image is damaged ({text})"))
            }
        }
    }
}

fn run(decoder: impl ImageDecoder, h: &Header) -> Result<Decoded, ImageError> {
    let mut decoder = decoder;
    decoder.set_limits(limits(h))?;
    let (w, hgt) = decoder.dimensions();
    if w != h.width || hgt != h.height {
        return Err(ImageError::Decoding(image::error::DecodingError::new(
            image::error::ImageFormatHint::Unknown,
            format!(
                "the decoder sees {w}x{hgt}, the header said {}x{}",
                h.width, h.height
            ),
        )));
    }
    // A damaged EXIF block does not make the image unusable.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder)?;
    Ok(Decoded { image, orientation })
}

/// Decodes the first frame of `bytes` (which the probe said is `h`).
pub(crate) fn decode(bytes: &[u8], format: ImageFormat, h: &Header) -> Result<Decoded, Rejection> {
    let cursor = Cursor::new(bytes);
    let result = match format {
        ImageFormat::Jpeg => image::codecs::jpeg::JpegDecoder::new(cursor).and_then(|d| run(d, h)),
        ImageFormat::Png => {
            image::codecs::png::PngDecoder::with_limits(cursor, limits(h)).and_then(|d| run(d, h))
        }
        ImageFormat::Webp => image::codecs::webp::WebPDecoder::new(cursor).and_then(|d| run(d, h)),
        ImageFormat::Gif => image::codecs::gif::GifDecoder::new(cursor).and_then(|d| run(d, h)),
        ImageFormat::Avif => {
            return Err(Rejection::unsupported("AVIF images are not decoded here"));
        }
    };
    result.map_err(|e| rejection(format, e))
}
