//! [`crate::process`]: probe, check the container, decode, orient, render.

use crate::container::{self, Cleaned, Header};
use crate::render::{self, Pixels};
use crate::{ImageFormat, Processed, Rejection, Settings, decode, orient, probe};

pub(crate) fn process(
    bytes: &[u8],
    declared: ImageFormat,
    settings: &Settings,
) -> Result<Processed, Rejection> {
    let p = probe::probe(bytes, declared, &settings.limits)?;
    let header = Header {
        width: p.width,
        height: p.height,
        frames: p.frames,
    };
    let cleaned = match declared {
        ImageFormat::Jpeg => container::jpeg::clean(bytes)?,
        ImageFormat::Png => container::png::clean(bytes)?,
        ImageFormat::Webp => container::webp::clean(bytes)?,
        ImageFormat::Gif => container::gif::clean(bytes)?,
        ImageFormat::Avif => return avif(bytes),
    };
    let Cleaned { bytes: clean, icc } = cleaned;

    let decoded = decode::decode(bytes, declared, &header)?;
    let mut image = decoded.image;
    let presets = &settings.presets.0;
    let format = settings.variant_format;
    // Animations keep their frames as they are: orientation is applied to
    // still images only (GIF has no EXIF; animated WebP rarely does).
    let turn = header.frames == 1
        && declared != ImageFormat::Gif
        && orient::needs_turning(decoded.orientation);
    let (original, rendered) = if turn {
        image.apply_orientation(decoded.orientation);
        let lossless = is_lossless_webp(&clean);
        let icc = icc.as_deref();
        if image.color().has_alpha() {
            // Rendering premultiplies alpha in place: one after the other.
            let original = orient::reencode(&image, declared, icc, lossless)?;
            (
                original,
                render::render(Pixels::Owned(image), presets, format, icc)?,
            )
        } else {
            // The re-encode of the original takes as long as everything
            // else: on a second core, both reading the same pixels.
            let image = &image;
            std::thread::scope(|s| {
                let original = s.spawn(move || orient::reencode(image, declared, icc, lossless));
                let rendered = render::render(Pixels::Shared(image), presets, format, icc);
                let original = original.join().unwrap_or_else(|_| {
                    Err(Rejection::unsupported(
                        "the turned original could not be encoded",
                    ))
                });
                Ok::<_, Rejection>((original?, rendered?))
            })?
        }
    } else {
        (
            clean,
            render::render(Pixels::Owned(image), presets, format, icc.as_deref())?,
        )
    };
    let (width, height) = (rendered.width, rendered.height);
    Ok(Processed {
        original,
        width,
        height,
        variants: rendered.variants,
        blurhash: rendered.blurhash,
    })
}

fn is_lossless_webp(b: &[u8]) -> bool {
    b.get(12..16) == Some(b"VP8L") || b.windows(4).any(|w| w == b"VP8L")
}

/// AVIF is checked (container, AV1 sequence header) and cleaned, not decoded:
/// no pure-Rust AV1 decoder is ready here, so it gets no variants and no
/// BlurHash, and the cleaned original is served as is.
fn avif(bytes: &[u8]) -> Result<Processed, Rejection> {
    let info = container::avif::header(bytes)?;
    let cleaned = container::avif::clean(bytes)?;
    match avif_parse::read_avif(&mut &bytes[..]) {
        Ok(data) => {
            data.primary_item_metadata().map_err(|e| {
                Rejection::corrupt(format!("the AVIF image's AV1 data is damaged ({e})"))
            })?;
        }
        // Grid images: the checks above are all we can do.
        Err(avif_parse::Error::Unsupported(_)) => {}
        Err(avif_parse::Error::UnexpectedEOF) => {
            return Err(Rejection::truncated(
                "the AVIF file ends in the middle of the image",
            ));
        }
        Err(e) => {
            return Err(Rejection::corrupt(format!(
                "the AVIF file is damaged ({e})"
            )));
        }
    }
    let (w, h) = (info.header.width, info.header.height);
    let (width, height) = if info.quarter_turn { (h, w) } else { (w, h) };
    Ok(Processed {
        original: cleaned.bytes,
        width,
        height,
        variants: Vec::new(),
        blurhash: None,
    })
}
