use std::fmt;

/// Why an image was refused, for machines: stable snake_case names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectionCode {
    /// No known image format at all (a zip, an HTML page, random bytes).
    NotAnImage,
    /// An image, but not of the declared format.
    WrongFormat,
    TooWide,
    TooTall,
    TooManyPixels,
    TooManyFrames,
    /// The data ends before the image does.
    Truncated,
    /// The image data is damaged or does not follow its format.
    Corrupt,
    /// Non-image data after (or hidden inside) the image: a polyglot.
    TrailingData,
    /// A valid image of a kind this server cannot process (e.g. an AVIF feature).
    UnsupportedImage,
}

impl RejectionCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAnImage => "not_an_image",
            Self::WrongFormat => "wrong_format",
            Self::TooWide => "too_wide",
            Self::TooTall => "too_tall",
            Self::TooManyPixels => "too_many_pixels",
            Self::TooManyFrames => "too_many_frames",
            Self::Truncated => "truncated",
            Self::Corrupt => "corrupt",
            Self::TrailingData => "trailing_data",
            Self::UnsupportedImage => "unsupported_image",
        }
    }
}

impl fmt::Display for RejectionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused image: the code, and a sentence a person understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Rejection {
    pub code: RejectionCode,
    pub reason: String,
}

impl Rejection {
    pub fn new(code: RejectionCode, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }
}

/// Shorthands for the pipeline's own refusals.
impl Rejection {
    pub(crate) fn not_an_image(reason: impl Into<String>) -> Self {
        Self::new(RejectionCode::NotAnImage, reason)
    }

    pub(crate) fn truncated(reason: impl Into<String>) -> Self {
        Self::new(RejectionCode::Truncated, reason)
    }

    pub(crate) fn corrupt(reason: impl Into<String>) -> Self {
        Self::new(RejectionCode::Corrupt, reason)
    }

    pub(crate) fn trailing(reason: impl Into<String>) -> Self {
        Self::new(RejectionCode::TrailingData, reason)
    }

    pub(crate) fn unsupported(reason: impl Into<String>) -> Self {
        Self::new(RejectionCode::UnsupportedImage, reason)
    }
}
