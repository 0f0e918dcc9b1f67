//! PNG: IHDR (and acTL for APNG) for the probe; the chunk walk to IEND, then
//! `img-parts` (which checks every chunk's CRC) keeps an allow-list of chunks.

use img_parts::png::Png;
use img_parts::{Bytes, ImageICC};

use super::{Cleaned, Header, be_u32, check_tail};
use crate::Rejection;

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Chunks that decoding or display needs; every other chunk is dropped
/// (tEXt, zTXt, iTXt, eXIf, tIME, private chunks, ...).
const KEPT: [&[u8; 4]; 18] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB",
    b"cICP", b"mDCv", b"cLLi", b"bKGD", b"pHYs", b"acTL", b"fcTL", b"fdAT",
];

fn truncated() -> Rejection {
    Rejection::truncated("the PNG file ends in the middle of the image")
}

fn check_signature(b: &[u8]) -> Result<(), Rejection> {
    if b.starts_with(SIGNATURE) {
        Ok(())
    } else if SIGNATURE.starts_with(b) {
        Err(truncated())
    } else {
        Err(Rejection::corrupt(
            "the file does not start like a PNG image",
        ))
    }
}

/// One chunk at `pos`: its type and the offset after its CRC.
fn chunk_at(b: &[u8], pos: usize) -> Result<([u8; 4], usize, usize), Rejection> {
    let len = be_u32(b, pos).ok_or_else(truncated)?;
    if len > i32::MAX as u32 {
        return Err(Rejection::corrupt("a PNG chunk has an impossible length"));
    }
    let kind: [u8; 4] = b
        .get(pos + 4..pos + 8)
        .ok_or_else(truncated)?
        .try_into()
        .map_err(|_| truncated())?;
    if !kind.iter().all(u8::is_ascii_alphabetic) {
        return Err(Rejection::corrupt("the PNG file has a damaged chunk"));
    }
    let end = pos + 12 + len as usize;
    Ok((kind, len as usize, end))
}

/// IHDR's dimensions and, for APNG, acTL's frame count; reads chunk headers
/// only, up to the first IDAT.
pub(crate) fn header(b: &[u8]) -> Result<Header, Rejection> {
    check_signature(b)?;
    let (kind, len, _) = chunk_at(b, 8)?;
    if &kind != b"IHDR" || len != 13 {
        return Err(Rejection::corrupt(
            "the PNG file does not start with its header chunk",
        ));
    }
    let width = be_u32(b, 16).ok_or_else(truncated)?;
    let height = be_u32(b, 20).ok_or_else(truncated)?;
    if width == 0 || height == 0 || width > i32::MAX as u32 || height > i32::MAX as u32 {
        return Err(Rejection::corrupt(
            "the PNG header has impossible dimensions",
        ));
    }
    let mut frames = 1;
    let mut pos = 8;
    loop {
        let (kind, _, end) = chunk_at(b, pos)?;
        match &kind {
            b"acTL" => frames = be_u32(b, pos + 8).ok_or_else(truncated)?.max(1),
            b"IDAT" | b"IEND" => break,
            _ => {}
        }
        pos = end;
    }
    Ok(Header {
        width,
        height,
        frames,
    })
}

pub(crate) fn clean(b: &[u8]) -> Result<Cleaned, Rejection> {
    check_signature(b)?;
    let mut pos = 8;
    let end = loop {
        let (kind, _, end) = chunk_at(b, pos)?;
        if end > b.len() {
            return Err(truncated());
        }
        pos = end;
        if &kind == b"IEND" {
            break end;
        }
    };
    check_tail(b, end, "PNG")?;
    let mut png = Png::from_bytes(Bytes::copy_from_slice(&b[..end])).map_err(|e| match e {
        img_parts::Error::BadCRC => Rejection::corrupt("a PNG chunk fails its checksum"),
        _ => Rejection::corrupt("the PNG file's chunks are damaged"),
    })?;
    png.chunks_mut().retain(|c| KEPT.contains(&&c.kind()));
    let icc = png.icc_profile().map(|p| p.to_vec());
    Ok(Cleaned {
        bytes: png.encoder().bytes().to_vec(),
        icc,
    })
}
