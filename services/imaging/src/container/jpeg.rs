//! JPEG: segments up to the frame header for the probe; the whole file
//! (every scan, up to EOI) for cleaning.
//!
//! Written by hand rather than with `img-parts`, which keeps everything after
//! the first SOS verbatim: APPn/COM segments between progressive scans and
//! data after EOI would pass through untouched.

use super::{Cleaned, Header, be_u16, check_tail};
use crate::Rejection;

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP2: u8 = 0xE2;
const APP14: u8 = 0xEE;
const COM: u8 = 0xFE;

const ICC_TAG: &[u8] = b"ICC_PROFILE\0";

fn is_sof(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

struct Segment<'a> {
    marker: u8,
    /// Offset of the two length bytes (or of the end, for markers without).
    len_at: usize,
    end: usize,
    body: &'a [u8],
}

fn truncated() -> Rejection {
    Rejection::truncated("the JPEG file ends in the middle of the image")
}

/// The segment at `pos`; stray bytes and fill bytes before the marker are
/// skipped (as libjpeg does), they never reach the output.
fn next_segment(b: &[u8], pos: usize) -> Result<Segment<'_>, Rejection> {
    let mut pos = pos;
    while b.get(pos).is_some_and(|&x| x != 0xFF) {
        pos += 1;
    }
    while b.get(pos) == Some(&0xFF) {
        pos += 1;
    }
    let marker = *b.get(pos).ok_or_else(truncated)?;
    pos += 1;
    if marker == 0x00 {
        return Err(Rejection::corrupt("the JPEG file has a damaged marker"));
    }
    if matches!(marker, 0xD0..=0xD7 | 0x01 | SOI | EOI) {
        return Ok(Segment {
            marker,
            len_at: pos,
            end: pos,
            body: &[],
        });
    }
    let len = usize::from(be_u16(b, pos).ok_or_else(truncated)?);
    if len < 2 {
        return Err(Rejection::corrupt(
            "the JPEG file has a damaged segment length",
        ));
    }
    let end = pos + len;
    let body = b.get(pos + 2..end).ok_or_else(truncated)?;
    Ok(Segment {
        marker,
        len_at: pos,
        end,
        body,
    })
}

/// Where the entropy-coded data starting at `pos` ends: the next marker that is
/// neither a stuffed zero nor a restart marker.
fn scan_end(b: &[u8], mut pos: usize) -> Result<usize, Rejection> {
    loop {
        let at = pos
            + b.get(pos..)
                .unwrap_or_default()
                .iter()
                .position(|&x| x == 0xFF)
                .ok_or_else(truncated)?;
        let mut next = at + 1;
        while b.get(next) == Some(&0xFF) {
            next += 1;
        }
        match b.get(next) {
            None => return Err(truncated()),
            Some(0x00 | 0xD0..=0xD7) => pos = next + 1,
            Some(_) => return Ok(at),
        }
    }
}

fn check_soi(b: &[u8]) -> Result<(), Rejection> {
    match b {
        [0xFF, SOI, ..] => Ok(()),
        [0xFF] | [] => Err(truncated()),
        _ => Err(Rejection::corrupt(
            "the file does not start like a JPEG image",
        )),
    }
}

/// The frame header (SOFn): dimensions, without reading any image data.
pub(crate) fn header(b: &[u8]) -> Result<Header, Rejection> {
    check_soi(b)?;
    let mut pos = 2;
    loop {
        let seg = next_segment(b, pos)?;
        pos = seg.end;
        if is_sof(seg.marker) {
            let height = be_u16(seg.body, 1)
                .ok_or_else(|| Rejection::corrupt("the JPEG frame header is too short"))?;
            let width = be_u16(seg.body, 3)
                .ok_or_else(|| Rejection::corrupt("the JPEG frame header is too short"))?;
            if width == 0 {
                return Err(Rejection::corrupt("the JPEG image is 0 pixels wide"));
            }
            if height == 0 {
                return Err(Rejection::unsupported(
                    "JPEG images whose height comes after the image data (DNL) are not supported",
                ));
            }
            return Ok(Header {
                width: width.into(),
                height: height.into(),
                frames: 1,
            });
        }
        if matches!(seg.marker, SOS | EOI | SOI) {
            return Err(Rejection::corrupt(
                "the JPEG file has no frame header before its image data",
            ));
        }
    }
}

/// Walks the whole file up to EOI and keeps only what decoding needs: the
/// frame and scans, tables, JFIF (without its thumbnail), the ICC profile and
/// Adobe's colour transform. Everything else (EXIF, XMP, IPTC, maker notes,
/// comments, other APPn) is dropped, wherever it is.
///
/// Data after EOI is refused, except in files with an MPF segment (phones'
/// depth or gain maps are extra JPEGs appended after EOI): those extra images
/// are dropped, since they carry their own EXIF.
pub(crate) fn clean(b: &[u8]) -> Result<Cleaned, Rejection> {
    check_soi(b)?;
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&[0xFF, SOI]);
    let mut pos = 2;
    let mut icc_chunks: Vec<(u8, &[u8])> = Vec::new();
    let (mut jfif, mut mpf, mut sof, mut sos) = (false, false, false, false);
    let end = loop {
        let seg = next_segment(b, pos)?;
        pos = seg.end;
        let keep = |out: &mut Vec<u8>| {
            out.extend_from_slice(&[0xFF, seg.marker]);
            out.extend_from_slice(&b[seg.len_at..seg.end]);
        };
        match seg.marker {
            SOI => {
                return Err(Rejection::corrupt(
                    "the JPEG file starts a second image inside the first",
                ));
            }
            EOI => {
                out.extend_from_slice(&[0xFF, EOI]);
                break pos;
            }
            // Restart markers outside a scan carry nothing.
            0xD0..=0xD7 | 0x01 => {}
            SOS => {
                if !sof {
                    return Err(Rejection::corrupt(
                        "the JPEG file has image data before its frame header",
                    ));
                }
                keep(&mut out);
                let scan_end = scan_end(b, pos)?;
                out.extend_from_slice(&b[pos..scan_end]);
                pos = scan_end;
                sos = true;
            }
            APP0 => {
                if !jfif && seg.body.len() >= 14 && seg.body.starts_with(b"JFIF\0") {
                    jfif = true;
                    // JFIF without its (optional) thumbnail: 0 x 0.
                    out.extend_from_slice(&[0xFF, APP0, 0, 16]);
                    out.extend_from_slice(&seg.body[..12]);
                    out.extend_from_slice(&[0, 0]);
                }
            }
            APP2 if seg.body.starts_with(ICC_TAG) && seg.body.len() > ICC_TAG.len() + 2 => {
                icc_chunks.push((seg.body[ICC_TAG.len()], &seg.body[ICC_TAG.len() + 2..]));
                keep(&mut out);
            }
            APP2 if seg.body.starts_with(b"MPF\0") => mpf = true,
            APP14 if seg.body.starts_with(b"Adobe") => keep(&mut out),
            APP0..=0xEF | COM | 0xF0..=0xFD => {}
            marker @ 0xC0..=0xFE => {
                sof |= is_sof(marker);
                keep(&mut out);
            }
            _ => return Err(Rejection::corrupt("the JPEG file has a reserved marker")),
        }
    };
    if !sos {
        return Err(Rejection::corrupt("the JPEG file has no image data"));
    }
    if !mpf {
        check_tail(b, end, "JPEG")?;
    }
    icc_chunks.sort_by_key(|&(seq, _)| seq);
    let icc = (!icc_chunks.is_empty()).then(|| {
        icc_chunks
            .iter()
            .flat_map(|(_, d)| d.iter().copied())
            .collect()
    });
    Ok(Cleaned { bytes: out, icc })
}
