//! The image pipeline, as pure functions over bytes: no I/O, no async.
//!
//! - [`probe`] reads only the header and holds it to the [`Limits`], so a
//!   decompression bomb is refused before a pixel is allocated;
//! - [`process`] decodes in full (truncated, corrupt, wrong-format and
//!   polyglot files are refused), removes the metadata (EXIF, XMP, IPTC, GPS,
//!   maker notes, comments; the ICC profile stays), applies the EXIF
//!   orientation to the pixels, and renders the variant presets.
//!
//! Every refusal is a [`Rejection`] with a stable [`RejectionCode`].

mod container;
mod decode;
mod encode;
mod icc;
mod limits;
mod orient;
mod pipeline;
mod probe;
mod rejection;
mod render;
mod variants;

pub use imgup_policy::ImageFormat;
pub use limits::Limits;
pub use rejection::{Rejection, RejectionCode};
pub use variants::{InvalidPresets, Preset, Presets, VariantFormat};

/// What the header says, before anything is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub format: ImageFormat,
    /// As stored (before orientation).
    pub width: u32,
    pub height: u32,
    /// 1 for still images.
    pub frames: u32,
}

/// How to process one image.
#[derive(Debug, Clone)]
pub struct Settings {
    pub limits: Limits,
    pub presets: Presets,
    pub variant_format: VariantFormat,
}

/// A checked, cleaned image and its variants.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The cleaned original, in the declared format.
    pub original: Vec<u8>,
    /// As displayed, after orientation.
    pub width: u32,
    pub height: u32,
    /// One per preset, in the presets' order.
    pub variants: Vec<RenderedVariant>,
    /// A BlurHash of the image, for placeholders while it loads.
    pub blurhash: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RenderedVariant {
    pub preset: String,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub content_type: &'static str,
}

/// Reads the header of `bytes` (which must be `declared`) and holds it to `limits`.
pub fn probe(bytes: &[u8], declared: ImageFormat, limits: &Limits) -> Result<Probe, Rejection> {
    probe::probe(bytes, declared, limits)
}

/// [`probe`], then the full decode, the cleaning and the variants.
pub fn process(
    bytes: &[u8],
    declared: ImageFormat,
    settings: &Settings,
) -> Result<Processed, Rejection> {
    // The decoders are meant never to panic; should one do so on hostile
    // input all the same, that is a refusal of the image, not a crash.
    std::panic::catch_unwind(|| pipeline::process(bytes, declared, settings)).unwrap_or_else(|_| {
        Err(Rejection::corrupt(
            "the image could not be processed (its data is damaged)",
        ))
    })
}
