//! GIF: a walk over the blocks (skipping the LZW data sub-block by sub-block,
//! never decompressing it) counts the frames and finds the trailer; cleaning
//! copies the blocks but comments, XMP and other application extensions.

use super::{Cleaned, Header, check_tail, le_u16};
use crate::Rejection;

fn truncated() -> Rejection {
    Rejection::truncated("the GIF file ends in the middle of the image")
}

/// Offset after the sub-blocks starting at `pos` (up to the 0 terminator).
fn skip_sub_blocks(b: &[u8], mut pos: usize) -> Result<usize, Rejection> {
    loop {
        let len = usize::from(*b.get(pos).ok_or_else(truncated)?);
        pos += 1;
        if len == 0 {
            return Ok(pos);
        }
        pos += len;
        if pos > b.len() {
            return Err(truncated());
        }
    }
}

fn color_table_len(packed: u8) -> usize {
    if packed & 0x80 != 0 {
        3 << ((packed & 0x07) + 1)
    } else {
        0
    }
}

enum Block {
    /// The header, logical screen and global colour table.
    Screen,
    /// An extension: its label and the application identifier, if any.
    Extension(u8, Option<[u8; 11]>),
    Image,
    Trailer,
}

/// Walks the file, handing each block and its byte range to `visit`; stops
/// once `visit` returns false. Returns the number of frames and the end of
/// the trailer (if reached).
fn walk(
    b: &[u8],
    mut visit: impl FnMut(&Block, &[u8]) -> bool,
) -> Result<(u32, Option<usize>), Rejection> {
    let mut pos = 13 + color_table_len(*b.get(10).ok_or_else(truncated)?);
    if pos > b.len() {
        return Err(truncated());
    }
    visit(&Block::Screen, &b[..pos]);
    let mut frames = 0u32;
    loop {
        let start = pos;
        let (block, end) = match b.get(pos).ok_or_else(truncated)? {
            0x21 => {
                let label = *b.get(pos + 1).ok_or_else(truncated)?;
                let app = (label == 0xFF && b.get(pos + 2) == Some(&11))
                    .then(|| b.get(pos + 3..pos + 14).and_then(|s| s.try_into().ok()))
                    .flatten();
                (Block::Extension(label, app), skip_sub_blocks(b, pos + 2)?)
            }
            0x2C => {
                let packed = *b.get(pos + 9).ok_or_else(truncated)?;
                let data = pos + 10 + color_table_len(packed) + 1; // + the LZW code size
                if data > b.len() {
                    return Err(truncated());
                }
                frames = frames.saturating_add(1);
                (Block::Image, skip_sub_blocks(b, data)?)
            }
            0x3B => (Block::Trailer, pos + 1),
            _ => return Err(Rejection::corrupt("the GIF file has a damaged block")),
        };
        pos = end;
        if !visit(&block, &b[start..end]) {
            return Ok((frames, None));
        }
        if matches!(block, Block::Trailer) {
            return Ok((frames, Some(end)));
        }
    }
}

fn check_signature(b: &[u8]) -> Result<(), Rejection> {
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Ok(())
    } else if b"GIF89a".starts_with(b) || b"GIF87a".starts_with(b) {
        Err(truncated())
    } else {
        Err(Rejection::corrupt(
            "the file does not start like a GIF image",
        ))
    }
}

/// The logical screen and the number of frames (counting stops once
/// `max_frames`, if not 0, is passed).
pub(crate) fn header(b: &[u8], max_frames: u32) -> Result<Header, Rejection> {
    check_signature(b)?;
    let width = u32::from(le_u16(b, 6).ok_or_else(truncated)?);
    let height = u32::from(le_u16(b, 8).ok_or_else(truncated)?);
    if width == 0 || height == 0 {
        return Err(Rejection::corrupt(
            "the GIF header has impossible dimensions",
        ));
    }
    let mut frames = 0u32;
    walk(b, |block, _| {
        if matches!(block, Block::Image) {
            frames += 1;
        }
        max_frames == 0 || frames <= max_frames
    })?;
    if frames == 0 {
        return Err(Rejection::corrupt("the GIF file has no image"));
    }
    Ok(Header {
        width,
        height,
        frames,
    })
}

pub(crate) fn clean(b: &[u8]) -> Result<Cleaned, Rejection> {
    check_signature(b)?;
    let mut out = Vec::with_capacity(b.len());
    let mut icc: Option<Vec<u8>> = None;
    let (_, end) = walk(b, |block, bytes| {
        let keep = match block {
            Block::Screen => true,
            // Graphic control (delays, transparency).
            Block::Extension(0xF9, _) => true,
            Block::Extension(0xFF, Some(app)) if app == b"NETSCAPE2.0" || app == b"ANIMEXTS1.0" => {
                true
            }
            Block::Extension(0xFF, Some(app)) if app.starts_with(b"ICCRGBG1") => {
                icc = Some(sub_block_data(&bytes[14..]));
                true
            }
            // Comments, plain text, XMP and other applications' data.
            Block::Extension(..) => false,
            Block::Image | Block::Trailer => true,
        };
        if keep {
            out.extend_from_slice(bytes);
        }
        true
    })?;
    let end = end.ok_or_else(truncated)?;
    check_tail(b, end, "GIF")?;
    Ok(Cleaned { bytes: out, icc })
}

fn sub_block_data(mut b: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    while let Some((&len, rest)) = b.split_first() {
        let len = usize::from(len).min(rest.len());
        if len == 0 {
            break;
        }
        data.extend_from_slice(&rest[..len]);
        b = &rest[len..];
    }
    data
}
