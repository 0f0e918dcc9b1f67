//! Format sniffing and the header checks against [`Limits`].

use crate::container::{self, Header};
use crate::{ImageFormat, Limits, Probe, Rejection, RejectionCode};

/// The format the first bytes announce, or why there is none.
fn sniff(bytes: &[u8], declared: ImageFormat) -> Result<ImageFormat, Rejection> {
    let head = &bytes[..bytes.len().min(ImageFormat::SNIFF_LEN)];
    match ImageFormat::sniff(head) {
        Some(found) => Ok(found),
        // A file shorter than a header, that starts like the declared format.
        None if starts_like(head, declared) => Ok(declared),
        None if head.is_empty() => Err(Rejection::not_an_image("the file is empty")),
        None if infer::is_image(head) => Err(Rejection::new(
            RejectionCode::WrongFormat,
            format!(
                "the file is a {} image, not {declared} as declared",
                infer::get(head).map_or("different", |k| k.mime_type())
            ),
        )),
        None => Err(Rejection::not_an_image(format!(
            "the file is not an image (expected {declared})"
        ))),
    }
}

fn starts_like(head: &[u8], format: ImageFormat) -> bool {
    let magic: &[u8] = match format {
        ImageFormat::Jpeg => b"\xFF\xD8\xFF",
        ImageFormat::Png => b"\x89PNG\r\n\x1a\n",
        ImageFormat::Gif => b"GIF8",
        ImageFormat::Webp => b"RIFF",
        ImageFormat::Avif => return head.len() >= 8 && &head[4..8] == b"ftyp",
    };
    head.len() >= 2 && (head.starts_with(magic) || magic.starts_with(head))
}

pub(crate) fn header(
    bytes: &[u8],
    format: ImageFormat,
    limits: &Limits,
) -> Result<Header, Rejection> {
    match format {
        ImageFormat::Jpeg => container::jpeg::header(bytes),
        ImageFormat::Png => container::png::header(bytes),
        ImageFormat::Webp => container::webp::header(bytes, limits.max_frames),
        ImageFormat::Gif => container::gif::header(bytes, limits.max_frames),
        ImageFormat::Avif => container::avif::header(bytes).map(|info| info.header),
    }
}

pub(crate) fn check_limits(h: &Header, limits: &Limits) -> Result<(), Rejection> {
    let over = |limit: u64, value: u64| limit != 0 && value > limit;
    let (w, hgt) = (h.width, h.height);
    if over(limits.max_width.into(), w.into()) {
        return Err(Rejection::new(
            RejectionCode::TooWide,
            format!(
                "the image is {w} pixels wide; at most {} are allowed",
                limits.max_width
            ),
        ));
    }
    if over(limits.max_height.into(), hgt.into()) {
        return Err(Rejection::new(
            RejectionCode::TooTall,
            format!(
                "the image is {hgt} pixels tall; at most {} are allowed",
                limits.max_height
            ),
        ));
    }
    let pixels = u64::from(w) * u64::from(hgt);
    if over(limits.max_pixels, pixels) {
        return Err(Rejection::new(
            RejectionCode::TooManyPixels,
            format!(
                "the image has {pixels} pixels ({w}x{hgt}); at most {} are allowed",
                limits.max_pixels
            ),
        ));
    }
    if over(limits.max_frames.into(), h.frames.into()) {
        return Err(Rejection::new(
            RejectionCode::TooManyFrames,
            format!(
                "the animation has more than {} frames; at most {} are allowed",
                limits.max_frames, limits.max_frames
            ),
        ));
    }
    Ok(())
}

pub(crate) fn probe(
    bytes: &[u8],
    declared: ImageFormat,
    limits: &Limits,
) -> Result<Probe, Rejection> {
    let found = sniff(bytes, declared)?;
    if found != declared {
        return Err(Rejection::new(
            RejectionCode::WrongFormat,
            format!("the file is {found}, not {declared} as declared"),
        ));
    }
    let h = header(bytes, declared, limits)?;
    check_limits(&h, limits)?;
    Ok(Probe {
        format: declared,
        width: h.width,
        height: h.height,
        frames: h.frames,
    })
}
