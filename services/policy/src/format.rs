use std::fmt;
use std::str::FromStr;

/// An image format imgup can accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Jpeg,
    Png,
    Webp,
    Avif,
    Gif,
}

impl ImageFormat {
    pub const ALL: [ImageFormat; 5] = [Self::Jpeg, Self::Png, Self::Webp, Self::Avif, Self::Gif];

    /// The formats allowed when `ALLOWED_MIME_TYPES` is not set (GIF is opt-in).
    pub const DEFAULT_ALLOWED: [ImageFormat; 4] = [Self::Jpeg, Self::Png, Self::Webp, Self::Avif];

    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Avif => "image/avif",
            Self::Gif => "image/gif",
        }
    }

    /// File-name extensions (lower case) that name this format; the first is canonical.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Jpeg => &["jpg", "jpeg"],
            Self::Png => &["png"],
            Self::Webp => &["webp"],
            Self::Avif => &["avif"],
            Self::Gif => &["gif"],
        }
    }

    pub fn canonical_extension(self) -> &'static str {
        self.extensions()[0]
    }

    pub fn from_mime_type(mime: &str) -> Option<Self> {
        let mime = mime.trim();
        Self::ALL
            .into_iter()
            .find(|f| f.mime_type().eq_ignore_ascii_case(mime))
    }

    pub fn from_extension(ext: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| {
            f.extensions()
                .iter()
                .any(|candidate| candidate.eq_ignore_ascii_case(ext))
        })
    }

    /// The format that a file's first bytes announce, if it is one of ours.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        let kind = infer::get(head)?;
        match kind.mime_type() {
            "image/jpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            "image/webp" => Some(Self::Webp),
            "image/avif" => Some(Self::Avif),
            "image/gif" => Some(Self::Gif),
            _ => None,
        }
    }

    /// How many leading bytes [`ImageFormat::sniff`] needs to decide.
    pub const SNIFF_LEN: usize = 64;
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mime_type())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown image MIME type {0:?} (known: image/jpeg, image/png, image/webp, image/avif, image/gif)"
)]
pub struct UnknownMimeType(pub String);

impl FromStr for ImageFormat {
    type Err = UnknownMimeType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_mime_type(s).ok_or_else(|| UnknownMimeType(s.to_owned()))
    }
}

/// Parses a comma-separated MIME list such as `ALLOWED_MIME_TYPES`.
pub fn parse_mime_list(list: &str) -> Result<Vec<ImageFormat>, UnknownMimeType> {
    let mut formats = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let format: ImageFormat = item.parse()?;
        if !formats.contains(&format) {
            formats.push(format);
        }
    }
    Ok(formats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types_and_extensions_round_trip() {
        for format in ImageFormat::ALL {
            assert_eq!(
                ImageFormat::from_mime_type(format.mime_type()),
                Some(format)
            );
            for ext in format.extensions() {
                assert_eq!(ImageFormat::from_extension(ext), Some(format));
                assert_eq!(
                    ImageFormat::from_extension(&ext.to_uppercase()),
                    Some(format)
                );
            }
        }
        assert_eq!(ImageFormat::from_mime_type("image/svg+xml"), None);
        assert_eq!(ImageFormat::from_extension("svg"), None);
    }

    #[test]
    fn mime_list_parsing_names_the_bad_entry() {
        assert_eq!(
            parse_mime_list(" image/png, image/gif ,image/png").unwrap(),
            vec![ImageFormat::Png, ImageFormat::Gif]
        );
        let err = parse_mime_list("image/png,text/html").unwrap_err();
        assert!(err.to_string().contains("text/html"));
    }

    #[test]
    fn sniffing_recognises_real_headers() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let jpeg = b"\xff\xd8\xff\xe0\0\x10JFIF\0";
        let gif = b"GIF89a\x01\0\x01\0";
        let webp = b"RIFF\x24\0\0\0WEBPVP8 ";
        let avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf";
        assert_eq!(ImageFormat::sniff(png), Some(ImageFormat::Png));
        assert_eq!(ImageFormat::sniff(jpeg), Some(ImageFormat::Jpeg));
        assert_eq!(ImageFormat::sniff(gif), Some(ImageFormat::Gif));
        assert_eq!(ImageFormat::sniff(webp), Some(ImageFormat::Webp));
        assert_eq!(ImageFormat::sniff(avif), Some(ImageFormat::Avif));
        assert_eq!(ImageFormat::sniff(b"<html><body>"), None);
        assert_eq!(ImageFormat::sniff(b"%PDF-1.7"), None);
        assert_eq!(ImageFormat::sniff(b""), None);
    }
}
