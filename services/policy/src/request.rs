use crate::{DEFAULT_MAX_UPLOAD_BYTES, ImageFormat};

/// Longest filename accepted, in bytes (the common file-system limit).
pub const MAX_FILENAME_BYTES: usize = 255;

/// What may be uploaded: formats and the size limit (inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPolicy {
    pub max_bytes: u64,
    pub allowed: Vec<ImageFormat>,
}

impl Default for UploadPolicy {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            allowed: ImageFormat::DEFAULT_ALLOWED.to_vec(),
        }
    }
}

/// An upload as a client declares it.
#[derive(Debug, Clone)]
pub struct UploadRequest<'a> {
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: u64,
}

/// An upload that passed [`UploadPolicy::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedUpload {
    pub format: ImageFormat,
    /// The filename as sent, kept as metadata only (never used as a key).
    pub filename: String,
    /// The MIME type in canonical lower case: the value the presigned URL signs.
    pub content_type: &'static str,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The seed's exact message.
    #[error("File too large")]
    FileTooLarge,
    /// The seed's exact message: a type or extension we do not take, or the two disagree.
    #[error("Unsupported file type")]
    UnsupportedFileType,
    #[error("size must be greater than zero")]
    EmptyFile,
    #[error("invalid filename: {0}")]
    InvalidFilename(&'static str),
}

impl UploadPolicy {
    pub fn allows(&self, format: ImageFormat) -> bool {
        self.allowed.contains(&format)
    }

    pub fn validate(&self, req: &UploadRequest<'_>) -> Result<ValidatedUpload, ValidationError> {
        let filename = check_filename(req.filename)?;
        let format = ImageFormat::from_mime_type(req.content_type)
            .filter(|f| self.allows(*f))
            .ok_or(ValidationError::UnsupportedFileType)?;
        let ext = filename
            .rsplit_once('.')
            .map(|(_, ext)| ext)
            .ok_or(ValidationError::UnsupportedFileType)?;
        if ImageFormat::from_extension(ext) != Some(format) {
            return Err(ValidationError::UnsupportedFileType);
        }
        if req.size == 0 {
            return Err(ValidationError::EmptyFile);
        }
        if req.size > self.max_bytes {
            return Err(ValidationError::FileTooLarge);
        }
        Ok(ValidatedUpload {
            format,
            filename: filename.to_owned(),
            content_type: format.mime_type(),
            size: req.size,
        })
    }
}

fn check_filename(name: &str) -> Result<&str, ValidationError> {
    use ValidationError::InvalidFilename;
    if name.trim().is_empty() {
        return Err(InvalidFilename("it is empty"));
    }
    if name.len() > MAX_FILENAME_BYTES {
        return Err(InvalidFilename("it is longer than 255 bytes"));
    }
    if name.chars().any(char::is_control) {
        return Err(InvalidFilename("it contains control characters"));
    }
    if name.contains(['/', '\\']) {
        return Err(InvalidFilename("it contains a path separator"));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ValidationError::*;
    use proptest::prelude::*;

    fn check(
        filename: &str,
        content_type: &str,
        size: u64,
    ) -> Result<ImageFormat, ValidationError> {
        UploadPolicy::default()
            .validate(&UploadRequest {
                filename,
                content_type,
                size,
            })
            .map(|v| v.format)
    }

    #[test]
    fn the_validation_table() {
        let max = DEFAULT_MAX_UPLOAD_BYTES;
        let table: &[(&str, &str, u64, Result<ImageFormat, ValidationError>)] = &[
            ("cat.jpg", "image/jpeg", 123_456, Ok(ImageFormat::Jpeg)),
            ("cat.JPEG", "image/jpeg", 1, Ok(ImageFormat::Jpeg)),
            ("CAT.Png", "IMAGE/PNG", max, Ok(ImageFormat::Png)),
            ("a.b.webp", "image/webp", 10, Ok(ImageFormat::Webp)),
            ("photo.avif", "image/avif", 10, Ok(ImageFormat::Avif)),
            ("cat.jpg", "image/jpeg", max + 1, Err(FileTooLarge)),
            ("cat.jpg", "image/jpeg", u64::MAX, Err(FileTooLarge)),
            ("cat.jpg", "image/jpeg", 0, Err(EmptyFile)),
            ("anim.gif", "image/gif", 10, Err(UnsupportedFileType)),
            ("cat.png", "image/jpeg", 10, Err(UnsupportedFileType)),
            ("cat.jpg", "image/png", 10, Err(UnsupportedFileType)),
            ("cat", "image/jpeg", 10, Err(UnsupportedFileType)),
            (
                "cat.jpg",
                "image/jpeg; charset=x",
                10,
                Err(UnsupportedFileType),
            ),
            ("cat.svg", "image/svg+xml", 10, Err(UnsupportedFileType)),
            ("page.html", "text/html", 10, Err(UnsupportedFileType)),
            ("", "image/jpeg", 10, Err(InvalidFilename("it is empty"))),
            ("   ", "image/jpeg", 10, Err(InvalidFilename("it is empty"))),
            (
                "a\r\nb.jpg",
                "image/jpeg",
                10,
                Err(InvalidFilename("it contains control characters")),
            ),
            (
                "../x.jpg",
                "image/jpeg",
                10,
                Err(InvalidFilename("it contains a path separator")),
            ),
        ];
        for (filename, content_type, size, expected) in table {
            assert_eq!(
                &check(filename, content_type, *size),
                expected,
                "{filename} {content_type} {size}"
            );
        }
        let long = format!("{}.jpg", "x".repeat(251));
        assert_eq!(check(&long, "image/jpeg", 1), Ok(ImageFormat::Jpeg));
        let too_long = format!("{}.jpg", "x".repeat(252));
        assert!(matches!(
            check(&too_long, "image/jpeg", 1),
            Err(InvalidFilename(_))
        ));
    }

    #[test]
    fn gif_is_accepted_when_enabled() {
        let policy = UploadPolicy {
            allowed: ImageFormat::ALL.to_vec(),
            ..UploadPolicy::default()
        };
        let req = UploadRequest {
            filename: "anim.GIF",
            content_type: "image/gif",
            size: 5,
        };
        assert_eq!(policy.validate(&req).unwrap().format, ImageFormat::Gif);
    }

    #[test]
    fn the_signed_type_is_canonical() {
        let req = UploadRequest {
            filename: "x.png",
            content_type: " Image/PNG ",
            size: 5,
        };
        assert_eq!(
            UploadPolicy::default().validate(&req).unwrap().content_type,
            "image/png"
        );
    }

    fn format_strategy() -> impl Strategy<Value = ImageFormat> {
        prop::sample::select(ImageFormat::DEFAULT_ALLOWED.to_vec())
    }

    proptest! {
        #[test]
        fn sizes_up_to_the_limit_pass_and_above_fail(
            format in format_strategy(),
            stem in "[a-zA-Z0-9 _-]{1,40}",
            max in 1u64..=u64::MAX / 2,
            size in any::<u64>(),
        ) {
            let policy = UploadPolicy { max_bytes: max, ..UploadPolicy::default() };
            let filename = format!("{stem}.{}", format.canonical_extension());
            let result = policy.validate(&UploadRequest { filename: &filename, content_type: format.mime_type(), size });
            match size {
                0 => prop_assert_eq!(result, Err(EmptyFile)),
                s if s <= max => prop_assert_eq!(result.map(|v| v.format), Ok(format)),
                _ => prop_assert_eq!(result, Err(FileTooLarge)),
            }
        }

        #[test]
        fn mismatched_extension_and_type_never_pass(
            declared in format_strategy(),
            named in format_strategy(),
            size in 1u64..1000,
        ) {
            prop_assume!(declared != named);
            let filename = format!("file.{}", named.canonical_extension());
            let result = UploadPolicy::default()
                .validate(&UploadRequest { filename: &filename, content_type: declared.mime_type(), size });
            prop_assert_eq!(result, Err(UnsupportedFileType));
        }

        #[test]
        fn validation_never_panics(filename in any::<String>(), content_type in any::<String>(), size in any::<u64>()) {
            let _ = UploadPolicy::default().validate(&UploadRequest { filename: &filename, content_type: &content_type, size });
        }
    }
}
