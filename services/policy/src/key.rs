use std::fmt;

use crate::ImageFormat;

const PREFIX: &str = "uploads/";
const ID_LEN: usize = 32;

/// A server-made object key, `uploads/<32 hex digits>.<ext>`. Never derived from
/// anything a client sent except the format.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid object key")]
pub struct InvalidObjectKey;

impl ObjectKey {
    pub fn generate(format: ImageFormat) -> Self {
        let id = uuid::Uuid::new_v4().simple();
        Self(format!("{PREFIX}{id}.{}", format.canonical_extension()))
    }

    /// Accepts only keys of the shape [`ObjectKey::generate`] makes: no `..`, no
    /// absolute paths, no foreign prefixes, no other characters.
    pub fn parse(key: &str) -> Result<Self, InvalidObjectKey> {
        let rest = key.strip_prefix(PREFIX).ok_or(InvalidObjectKey)?;
        let (id, ext) = rest.split_once('.').ok_or(InvalidObjectKey)?;
        let id_ok = id.len() == ID_LEN
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let ext_ok = ImageFormat::ALL
            .iter()
            .any(|f| f.canonical_extension() == ext);
        if id_ok && ext_ok {
            Ok(Self(key.to_owned()))
        } else {
            Err(InvalidObjectKey)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_differ() {
        let a = ObjectKey::generate(ImageFormat::Jpeg);
        let b = ObjectKey::generate(ImageFormat::Jpeg);
        assert_ne!(a, b);
        assert!(a.as_str().starts_with("uploads/") && a.as_str().ends_with(".jpg"));
        assert_eq!(ObjectKey::parse(a.as_str()), Ok(a));
    }

    #[test]
    fn malformed_keys_are_refused() {
        let good = "uploads/0123456789abcdef0123456789abcdef.png";
        assert!(ObjectKey::parse(good).is_ok());
        for bad in [
            "",
            "/uploads/0123456789abcdef0123456789abcdef.png",
            "uploads/../secrets/0123456789abcdef0123456789ab.png",
            "uploads/../../etc/passwd",
            "other/0123456789abcdef0123456789abcdef.png",
            "uploads/0123456789ABCDEF0123456789ABCDEF.png",
            "uploads/0123456789abcdef0123456789abcdef.exe",
            "uploads/0123456789abcdef0123456789abcdef.jpeg",
            "uploads/0123456789abcdef0123456789abcde.png",
            "uploads/0123456789abcdef0123456789abcdef.png/x",
            "uploads/0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(ObjectKey::parse(bad), Err(InvalidObjectKey), "{bad}");
        }
    }
}
