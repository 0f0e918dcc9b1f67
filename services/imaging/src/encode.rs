//! Encoders for pixels we produced: WebP through libwebp, JPEG through
//! `jpeg-encoder`, PNG through `image`. None of them writes metadata, except
//! the ICC profile when one is passed.

use image::{DynamicImage, ImageEncoder};
use img_parts::webp::WebP;
use img_parts::{Bytes, ImageICC};

use crate::Rejection;

fn failed(what: &str, e: impl std::fmt::Display) -> Rejection {
    Rejection::unsupported(format!("the image could not be encoded as {what}: {e}"))
}

/// Lossy (or lossless) WebP from RGB8/RGBA8 pixels; other types are converted.
pub(crate) fn webp(
    img: &DynamicImage,
    quality: f32,
    lossless: bool,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>, Rejection> {
    let (w, h) = (img.width(), img.height());
    if w > 16383 || h > 16383 {
        return Err(Rejection::unsupported(
            "WebP images are at most 16383 pixels on a side",
        ));
    }
    let converted;
    let (pixels, layout) = match img {
        DynamicImage::ImageRgb8(rgb) => (rgb.as_raw().as_slice(), webp::PixelLayout::Rgb),
        DynamicImage::ImageRgba8(rgba) => (rgba.as_raw().as_slice(), webp::PixelLayout::Rgba),
        other if other.color().has_alpha() => {
            converted = DynamicImage::ImageRgba8(other.to_rgba8());
            (converted.as_bytes(), webp::PixelLayout::Rgba)
        }
        other => {
            converted = DynamicImage::ImageRgb8(other.to_rgb8());
            (converted.as_bytes(), webp::PixelLayout::Rgb)
        }
    };
    let encoded = webp::Encoder::new(pixels, layout, w, h)
        .encode_simple(lossless, quality)
        .map_err(|e| failed("WebP", format!("{e:?}")))?;
    let bytes = encoded.to_vec();
    match icc {
        None => Ok(bytes),
        Some(profile) => {
            let mut webp = WebP::from_bytes(Bytes::from(bytes)).map_err(|e| failed("WebP", e))?;
            webp.set_icc_profile(Some(Bytes::copy_from_slice(profile)));
            Ok(webp.encoder().bytes().to_vec())
        }
    }
}

/// Baseline JPEG; alpha is flattened onto white. The ICC profile is embedded
/// only if it fits the pixels (an RGB profile for colour, GRAY for grey).
pub(crate) fn jpeg(
    img: &DynamicImage,
    quality: u8,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>, Rejection> {
    let (w, h) = (img.width(), img.height());
    let (Ok(w16), Ok(h16)) = (u16::try_from(w), u16::try_from(h)) else {
        return Err(Rejection::unsupported(
            "JPEG images are at most 65535 pixels on a side",
        ));
    };
    let converted;
    let (pixels, color, space): (&[u8], _, &[u8]) = match img {
        DynamicImage::ImageLuma8(l) => (l.as_raw(), jpeg_encoder::ColorType::Luma, b"GRAY"),
        DynamicImage::ImageRgb8(rgb) => (rgb.as_raw(), jpeg_encoder::ColorType::Rgb, b"RGB "),
        other if other.color().has_alpha() => {
            converted = flatten_on_white(other);
            (converted.as_raw(), jpeg_encoder::ColorType::Rgb, b"RGB ")
        }
        other => {
            converted = other.to_rgb8();
            (converted.as_raw(), jpeg_encoder::ColorType::Rgb, b"RGB ")
        }
    };
    let mut out = Vec::with_capacity(pixels.len() / 8);
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    if let Some(profile) = icc.filter(|p| crate::icc::color_space(p) == Some(space)) {
        encoder
            .add_icc_profile(profile)
            .map_err(|e| failed("JPEG", e))?;
    }
    encoder
        .encode(pixels, w16, h16, color)
        .map_err(|e| failed("JPEG", e))?;
    Ok(out)
}

fn flatten_on_white(img: &DynamicImage) -> image::RgbImage {
    let rgba = img.to_rgba8();
    let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
    for (dst, src) in rgb.pixels_mut().zip(rgba.pixels()) {
        let a = u16::from(src[3]);
        for c in 0..3 {
            let v = (u16::from(src[c]) * a + 255 * (255 - a) + 127) / 255;
            dst[c] = v as u8;
        }
    }
    rgb
}

/// PNG at the image's own bit depth and colour type, with the ICC profile.
pub(crate) fn png(img: &DynamicImage, icc: Option<&[u8]>) -> Result<Vec<u8>, Rejection> {
    let mut out = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Default,
        image::codecs::png::FilterType::Adaptive,
    );
    if let Some(profile) = icc {
        encoder
            .set_icc_profile(profile.to_vec())
            .map_err(|e| failed("PNG", e))?;
    }
    let img = match img {
        DynamicImage::ImageRgb32F(_) | DynamicImage::ImageRgba32F(_) => {
            &DynamicImage::ImageRgba16(img.to_rgba16())
        }
        other => other,
    };
    encoder
        .write_image(
            img.as_bytes(),
            img.width(),
            img.height(),
            img.color().into(),
        )
        .map_err(|e| failed("PNG", e))?;
    Ok(out)
}
