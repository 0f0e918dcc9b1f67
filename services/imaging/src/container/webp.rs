//! WebP: the RIFF header and first chunk for the probe (plus the ANMF chunks
//! of animations, counted from chunk headers); for cleaning, `img-parts` keeps
//! the image chunks and ICCP, and the VP8X flags are brought in line.

use img_parts::riff::RiffContent;
use img_parts::webp::WebP;
use img_parts::{Bytes, ImageICC};

use super::{Cleaned, Header, check_tail, le_u16, le_u24, le_u32};
use crate::Rejection;

const KEPT: [&[u8; 4]; 7] = [
    b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF", b"ICCP",
];
const FLAG_EXIF: u8 = 0x08;
const FLAG_XMP: u8 = 0x04;
const FLAG_ANIMATION: u8 = 0x02;

fn truncated() -> Rejection {
    Rejection::truncated("the WebP file ends in the middle of the image")
}

fn corrupt(what: &str) -> Rejection {
    Rejection::corrupt(format!("the WebP file {what}"))
}

/// The end of the RIFF container, as its header says.
fn riff_end(b: &[u8]) -> Result<usize, Rejection> {
    if b.len() < 12 {
        return if b"RIFF".starts_with(&b[..b.len().min(4)]) {
            Err(truncated())
        } else {
            Err(corrupt("does not start like a WebP image"))
        };
    }
    if &b[..4] != b"RIFF" || &b[8..12] != b"WEBP" {
        return Err(corrupt("does not start like a WebP image"));
    }
    let size = le_u32(b, 4).ok_or_else(truncated)? as usize;
    if size < 4 {
        return Err(corrupt("has an impossible size"));
    }
    Ok(8 + size)
}

/// The chunk at `pos`: id, payload, and where the next chunk starts.
fn chunk_at(b: &[u8], pos: usize) -> Result<([u8; 4], &[u8], usize), Rejection> {
    let id: [u8; 4] = b
        .get(pos..pos + 4)
        .ok_or_else(truncated)?
        .try_into()
        .map_err(|_| truncated())?;
    let size = le_u32(b, pos + 4).ok_or_else(truncated)? as usize;
    let start = pos + 8;
    let payload = b.get(start..start + size).ok_or_else(truncated)?;
    Ok((id, payload, start + size + (size & 1)))
}

fn vp8_size(p: &[u8]) -> Option<(u32, u32)> {
    // A key frame's tag (3 bytes, bit 0 clear), the start code, then 14-bit sizes.
    if p.get(3..6)? != [0x9d, 0x01, 0x2a] || p[0] & 1 != 0 {
        return None;
    }
    Some((
        u32::from(le_u16(p, 6)? & 0x3fff),
        u32::from(le_u16(p, 8)? & 0x3fff),
    ))
}

fn vp8l_size(p: &[u8]) -> Option<(u32, u32)> {
    if *p.first()? != 0x2f {
        return None;
    }
    let bits = le_u32(p, 1)?;
    Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
}

/// Dimensions from the first chunk; frames from the ANMF chunks of an
/// animation, counting stops as soon as `max_frames` (if not 0) is passed.
pub(crate) fn header(b: &[u8], max_frames: u32) -> Result<Header, Rejection> {
    let end = riff_end(b)?.min(b.len());
    let b = &b[..end];
    let (id, p, _) = match chunk_at(b, 12) {
        Ok(chunk) => chunk,
        // The probe reads only the beginning of the first chunk.
        Err(_) if b.len() >= 20 => {
            let id: [u8; 4] = b[12..16].try_into().map_err(|_| truncated())?;
            (id, &b[20..], 0)
        }
        Err(e) => return Err(e),
    };
    let (width, height, frames) = match &id {
        b"VP8 " => {
            let (w, h) = vp8_size(p).ok_or_else(|| corrupt("has a damaged VP8 header"))?;
            (w, h, 1)
        }
        b"VP8L" => {
            let (w, h) = vp8l_size(p).ok_or_else(|| corrupt("has a damaged VP8L header"))?;
            (w, h, 1)
        }
        b"VP8X" => {
            let flags = *p.first().ok_or_else(truncated)?;
            let w = le_u24(p, 4).ok_or_else(truncated)? + 1;
            let h = le_u24(p, 7).ok_or_else(truncated)? + 1;
            let frames = if flags & FLAG_ANIMATION != 0 {
                count_frames(b, max_frames)?
            } else {
                1
            };
            (w, h, frames)
        }
        _ => return Err(corrupt("does not start with an image chunk")),
    };
    if width == 0 || height == 0 {
        return Err(corrupt("has impossible dimensions"));
    }
    Ok(Header {
        width,
        height,
        frames,
    })
}

fn count_frames(b: &[u8], max_frames: u32) -> Result<u32, Rejection> {
    let mut frames = 0u32;
    let mut pos = 12;
    while pos + 8 <= b.len() {
        let (id, _, next) = chunk_at(b, pos)?;
        if &id == b"ANMF" {
            frames += 1;
            if max_frames != 0 && frames > max_frames {
                break;
            }
        }
        pos = next;
    }
    if frames == 0 {
        return Err(corrupt("is animated but has no frames"));
    }
    Ok(frames)
}

pub(crate) fn clean(b: &[u8]) -> Result<Cleaned, Rejection> {
    let end = riff_end(b)?;
    if end > b.len() {
        return Err(truncated());
    }
    check_tail(b, end, "WebP")?;
    let riff = &b[..end];
    let mut pos = 12;
    while pos < riff.len() {
        let (_, _, next) =
            chunk_at(riff, pos).map_err(|_| corrupt("has a chunk that overruns the file"))?;
        pos = next;
    }
    let mut webp = WebP::from_bytes(Bytes::copy_from_slice(riff))
        .map_err(|_| corrupt("has damaged chunks"))?;
    webp.chunks_mut().retain(|c| KEPT.contains(&&c.id()));
    for chunk in webp.chunks_mut() {
        if &chunk.id() == b"VP8X"
            && let RiffContent::Data(data) = chunk.content_mut()
            && !data.is_empty()
        {
            let mut vp8x = data.to_vec();
            vp8x[0] &= !(FLAG_EXIF | FLAG_XMP);
            *data = Bytes::from(vp8x);
        }
    }
    let icc = webp.icc_profile().map(|p| p.to_vec());
    Ok(Cleaned {
        bytes: webp.encoder().bytes().to_vec(),
        icc,
    })
}
