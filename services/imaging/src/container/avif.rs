//! AVIF (ISO-BMFF / HEIF): the `ispe` property of the primary item for the
//! probe, read from the `meta` box alone; for cleaning, the Exif and XMP
//! items are blanked in place (their bytes zeroed and their item type made
//! unknown), so that no offset in `iloc` moves.

use super::{Cleaned, Header, be_u16, be_u32, be_u64};
use crate::Rejection;

fn truncated() -> Rejection {
    Rejection::truncated("the AVIF file ends in the middle of the image")
}

fn corrupt(what: &str) -> Rejection {
    Rejection::corrupt(format!("the AVIF file {what}"))
}

#[derive(Clone, Copy)]
struct Bx {
    kind: [u8; 4],
    /// Absolute offsets of the payload.
    start: usize,
    end: usize,
}

/// The box at `pos` inside `[.., limit)`.
fn box_at(b: &[u8], pos: usize, limit: usize) -> Result<Bx, Rejection> {
    let size = be_u32(b, pos).ok_or_else(truncated)? as u64;
    let kind: [u8; 4] = b
        .get(pos + 4..pos + 8)
        .ok_or_else(truncated)?
        .try_into()
        .map_err(|_| truncated())?;
    let (size, header) = match size {
        0 => ((limit - pos) as u64, 8),
        1 => (be_u64(b, pos + 8).ok_or_else(truncated)?, 16),
        n => (n, 8),
    };
    if size < header as u64 {
        return Err(corrupt("has a damaged box"));
    }
    let end = usize::try_from(size)
        .ok()
        .and_then(|s| pos.checked_add(s))
        .ok_or_else(truncated)?;
    if end > limit {
        return Err(truncated());
    }
    Ok(Bx {
        kind,
        start: pos + header,
        end,
    })
}

/// The child boxes of `[start, end)`.
fn children(b: &[u8], start: usize, end: usize) -> Result<Vec<Bx>, Rejection> {
    let mut out = Vec::new();
    let mut pos = start;
    while pos < end {
        let child = box_at(b, pos, end)?;
        pos = child.end;
        out.push(child);
    }
    Ok(out)
}

fn find(boxes: &[Bx], kind: &[u8; 4]) -> Option<Bx> {
    boxes.iter().copied().find(|x| &x.kind == kind)
}

/// What the meta box says about the primary item.
pub(crate) struct Info {
    pub header: Header,
    /// `irot` turns the image by 90 or 270 degrees: displayed width and height swap.
    pub quarter_turn: bool,
}

fn check_ftyp(b: &[u8]) -> Result<usize, Rejection> {
    let ftyp = box_at(b, 0, b.len())?;
    if &ftyp.kind != b"ftyp" || ftyp.end - ftyp.start < 8 {
        return Err(corrupt("does not start with a file type box"));
    }
    let brands = &b[ftyp.start..ftyp.end];
    let major = &brands[..4];
    if major == b"avis" {
        return Err(Rejection::unsupported(
            "animated AVIF (image sequences) is not supported",
        ));
    }
    let avif = major == b"avif" || brands[8..].chunks_exact(4).any(|brand| brand == b"avif");
    if !avif {
        return Err(Rejection::new(
            crate::RejectionCode::WrongFormat,
            "the file is a HEIF/ISO-BMFF file, but not AVIF",
        ));
    }
    Ok(ftyp.end)
}

/// The `meta` box: from the top-level boxes, stopping at the first `meta`.
fn meta_box(b: &[u8], mut pos: usize) -> Result<Bx, Rejection> {
    while pos < b.len() {
        let bx = box_at(b, pos, b.len())?;
        if &bx.kind == b"meta" {
            if bx.end - bx.start < 4 {
                return Err(corrupt("has an empty meta box"));
            }
            return Ok(bx);
        }
        if &bx.kind == b"moov" {
            return Err(Rejection::unsupported(
                "animated AVIF (image sequences) is not supported",
            ));
        }
        pos = bx.end;
    }
    Err(corrupt("has no meta box"))
}

fn primary_item(b: &[u8], meta: &[Bx]) -> Result<u32, Rejection> {
    let pitm = find(meta, b"pitm").ok_or_else(|| corrupt("names no primary item"))?;
    let version = *b.get(pitm.start).ok_or_else(truncated)?;
    let id = if version == 0 {
        be_u16(b, pitm.start + 4).map(u32::from)
    } else {
        be_u32(b, pitm.start + 4)
    };
    id.ok_or_else(|| corrupt("has a damaged primary item box"))
}

/// The property boxes associated with `item` (ipco entries, via ipma).
fn item_properties(b: &[u8], meta: &[Bx], item: u32) -> Result<Vec<Bx>, Rejection> {
    let iprp = find(meta, b"iprp").ok_or_else(|| corrupt("has no item properties"))?;
    let iprp = children(b, iprp.start, iprp.end)?;
    let ipco = find(&iprp, b"ipco").ok_or_else(|| corrupt("has no item properties"))?;
    let ipco = children(b, ipco.start, ipco.end)?;
    let mut props = Vec::new();
    for ipma in iprp.iter().filter(|x| &x.kind == b"ipma") {
        let bad = || corrupt("has a damaged property association box");
        let s = &b[ipma.start..ipma.end];
        let (version, flags) = (*s.first().ok_or_else(bad)?, *s.get(3).ok_or_else(bad)?);
        let count = be_u32(s, 4).ok_or_else(bad)?;
        let mut pos = 8;
        for _ in 0..count {
            let id = if version < 1 {
                let id = be_u16(s, pos).map(u32::from);
                pos += 2;
                id
            } else {
                let id = be_u32(s, pos);
                pos += 4;
                id
            }
            .ok_or_else(bad)?;
            let n = usize::from(*s.get(pos).ok_or_else(bad)?);
            pos += 1;
            for _ in 0..n {
                let index = if flags & 1 != 0 {
                    let v = be_u16(s, pos).ok_or_else(bad)? & 0x7fff;
                    pos += 2;
                    usize::from(v)
                } else {
                    let v = *s.get(pos).ok_or_else(bad)? & 0x7f;
                    pos += 1;
                    usize::from(v)
                };
                if id == item && index > 0 {
                    props.push(*ipco.get(index - 1).ok_or_else(bad)?);
                }
            }
        }
    }
    Ok(props)
}

/// Reads `ftyp` and `meta` only, never the image data (`mdat`).
pub(crate) fn header(b: &[u8]) -> Result<Info, Rejection> {
    let pos = check_ftyp(b)?;
    let meta = meta_box(b, pos)?;
    let meta = children(b, meta.start + 4, meta.end)?;
    let primary = primary_item(b, &meta)?;
    let props = item_properties(b, &meta, primary)?;
    let ispe =
        find(&props, b"ispe").ok_or_else(|| corrupt("does not give the image's size (ispe)"))?;
    let width = be_u32(b, ispe.start + 4).ok_or_else(truncated)?;
    let height = be_u32(b, ispe.start + 8).ok_or_else(truncated)?;
    if width == 0 || height == 0 {
        return Err(corrupt("has impossible dimensions"));
    }
    let quarter_turn = find(&props, b"irot")
        .and_then(|irot| b.get(irot.start))
        .is_some_and(|angle| angle & 1 == 1);
    Ok(Info {
        header: Header {
            width,
            height,
            frames: 1,
        },
        quarter_turn,
    })
}

/// Item ids whose item type is metadata (Exif, XMP as `mime`, `uri `), with
/// the offset of their item type in the file.
fn metadata_items(b: &[u8], meta: &[Bx]) -> Result<Vec<(u32, usize)>, Rejection> {
    let Some(iinf) = find(meta, b"iinf") else {
        return Ok(Vec::new());
    };
    let version = *b.get(iinf.start).ok_or_else(truncated)?;
    let first = iinf.start + if version == 0 { 6 } else { 8 };
    let mut items = Vec::new();
    for infe in children(b, first, iinf.end)?
        .iter()
        .filter(|x| &x.kind == b"infe")
    {
        let version = *b.get(infe.start).ok_or_else(truncated)?;
        let (id, type_at) = match version {
            2 => (be_u16(b, infe.start + 4).map(u32::from), infe.start + 8),
            3 => (be_u32(b, infe.start + 4), infe.start + 10),
            _ => continue,
        };
        let id = id.ok_or_else(|| corrupt("has a damaged item entry"))?;
        let kind = b
            .get(type_at..type_at + 4)
            .filter(|_| type_at + 4 <= infe.end)
            .ok_or_else(|| corrupt("has a damaged item entry"))?;
        if matches!(kind, b"Exif" | b"mime" | b"uri ") {
            items.push((id, type_at));
        }
    }
    Ok(items)
}

/// The byte ranges (absolute) of `item`'s extents, from `iloc`.
fn item_extents(b: &[u8], meta: &[Bx], item: u32) -> Result<Vec<(usize, usize)>, Rejection> {
    let bad = || corrupt("has a damaged item location box");
    let iloc = find(meta, b"iloc").ok_or_else(bad)?;
    let idat = find(meta, b"idat");
    let s = &b[iloc.start..iloc.end];
    let version = *s.first().ok_or_else(bad)?;
    let sizes = be_u16(s, 4).ok_or_else(bad)?;
    let (off_size, len_size, base_size) = (
        (sizes >> 12) as usize,
        (sizes >> 8 & 0xf) as usize,
        (sizes >> 4 & 0xf) as usize,
    );
    let index_size = if version >= 1 {
        (sizes & 0xf) as usize
    } else {
        0
    };
    let mut pos = 6;
    let read = |pos: &mut usize, n: usize| -> Result<u64, Rejection> {
        let v = match n {
            0 => Some(0),
            4 => be_u32(s, *pos).map(u64::from),
            8 => be_u64(s, *pos),
            2 => be_u16(s, *pos).map(u64::from),
            _ => None,
        }
        .ok_or_else(bad)?;
        *pos += n;
        Ok(v)
    };
    let count = if version < 2 {
        read(&mut pos, 2)?
    } else {
        read(&mut pos, 4)?
    };
    let mut extents = Vec::new();
    // Extents of zero-sized fields read no bytes: cap the walk by count.
    let mut budget = 1_000_000u32;
    for _ in 0..count {
        let id = read(&mut pos, if version < 2 { 2 } else { 4 })?;
        let method = if version >= 1 {
            read(&mut pos, 2)? & 0xf
        } else {
            0
        };
        let _data_reference = read(&mut pos, 2)?;
        let base = read(&mut pos, base_size)?;
        let n = read(&mut pos, 2)?;
        for _ in 0..n {
            budget = budget.checked_sub(1).ok_or_else(bad)?;
            let _index = read(&mut pos, index_size)?;
            let offset = read(&mut pos, off_size)?;
            let len = read(&mut pos, len_size)?;
            if id != u64::from(item) {
                continue;
            }
            let origin = match method {
                0 => 0,
                1 => idat.ok_or_else(bad)?.start as u64,
                _ => {
                    return Err(Rejection::unsupported(
                        "AVIF items located through other items are not supported",
                    ));
                }
            };
            let start = origin
                .checked_add(base)
                .and_then(|v| v.checked_add(offset))
                .ok_or_else(bad)?;
            let end = start.checked_add(len).ok_or_else(bad)?;
            let (start, end) = (
                usize::try_from(start).map_err(|_| bad())?,
                usize::try_from(end).map_err(|_| bad())?,
            );
            if end > b.len() {
                return Err(truncated());
            }
            extents.push((start, end));
        }
    }
    Ok(extents)
}

/// Checks the top-level boxes cover the file exactly, and blanks metadata.
pub(crate) fn clean(b: &[u8]) -> Result<Cleaned, Rejection> {
    let mut pos = check_ftyp(b)?;
    let mut meta = None;
    let mut mdat = false;
    let mut blank = Vec::new();
    while pos < b.len() {
        let parsed = box_at(b, pos, b.len());
        let known = parsed
            .as_ref()
            .is_ok_and(|bx| matches!(&bx.kind, b"meta" | b"mdat" | b"free" | b"skip" | b"uuid"));
        if !known {
            return Err(if meta.is_some() && mdat {
                Rejection::trailing("other data follows the end of the AVIF image")
            } else {
                parsed
                    .err()
                    .unwrap_or_else(|| corrupt("has an unexpected box"))
            });
        }
        let bx = parsed?;
        match &bx.kind {
            b"meta" if meta.is_none() => meta = Some(bx),
            b"meta" => return Err(corrupt("has two meta boxes")),
            b"mdat" => mdat = true,
            // Free space and vendor boxes (XMP is sometimes kept in uuid boxes).
            _ => blank.push((bx.start, bx.end)),
        }
        pos = bx.end;
    }
    let meta = meta.ok_or_else(|| corrupt("has no meta box"))?;
    let meta = children(b, meta.start + 4, meta.end)?;
    let mut out = b.to_vec();
    for (id, type_at) in metadata_items(b, &meta)? {
        for (start, end) in item_extents(b, &meta, id)? {
            out[start..end].fill(0);
        }
        out[type_at..type_at + 4].copy_from_slice(b"free");
    }
    for (start, end) in blank {
        out[start..end].fill(0);
    }
    let icc = primary_item(b, &meta)
        .and_then(|item| item_properties(b, &meta, item))?
        .iter()
        .find(|x| &x.kind == b"colr" && b.get(x.start..x.start + 4) == Some(b"prof"))
        .map(|colr| b[colr.start + 4..colr.end].to_vec());
    Ok(Cleaned { bytes: out, icc })
}
