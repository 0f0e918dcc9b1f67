//! Structural walkers, one per format: they read the container (segments,
//! chunks, blocks, boxes) without decoding pixels, so that they are cheap and
//! bounded by the input's length. Each gives the header for [`crate::probe`]
//! and, for [`crate::process`], checks where the image ends (truncation,
//! trailing data) and returns the original without its metadata.

pub(crate) mod avif;
pub(crate) mod gif;
pub(crate) mod jpeg;
pub(crate) mod png;
pub(crate) mod webp;

use crate::Rejection;

/// What a container's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub width: u32,
    pub height: u32,
    pub frames: u32,
}

/// The original without its metadata, cut at the end of the image.
#[derive(Debug)]
pub(crate) struct Cleaned {
    pub bytes: Vec<u8>,
    /// The embedded ICC profile, if any (kept in `bytes` too).
    pub icc: Option<Vec<u8>>,
}

/// Zero bytes after the end of an image are tolerated up to this many (some
/// encoders and transfer tools pad files); anything else there is a polyglot.
const MAX_ZERO_PADDING: usize = 4096;

/// Refuses anything but a little zero padding after `end`.
pub(crate) fn check_tail(bytes: &[u8], end: usize, what: &str) -> Result<(), Rejection> {
    let tail = bytes.get(end..).unwrap_or_default();
    if tail.is_empty() || (tail.len() <= MAX_ZERO_PADDING && tail.iter().all(|&b| b == 0)) {
        Ok(())
    } else {
        Err(Rejection::trailing(format!(
            "{} bytes of other data follow the end of the {what} image",
            tail.len()
        )))
    }
}

pub(crate) fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

pub(crate) fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

pub(crate) fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

pub(crate) fn le_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

pub(crate) fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

pub(crate) fn le_u24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(3)?)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}
