use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ImageFormat;

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "uploads/";
const INCOMING_PREFIX: &str = "incoming/";
const VARIANTS_PREFIX: &str = "variants/";
const RANDOM_BYTES: usize = 8;
const TAG_BYTES: usize = 8;
const ID_HEX_LEN: usize = 2 * (RANDOM_BYTES + TAG_BYTES);

/// A server-made object key, `uploads/<32 hex digits>.<ext>`. Nothing in it
/// comes from what a client sent except the format.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid object key")]
pub struct InvalidObjectKey;

impl ObjectKey {
    /// Accepts only keys of the shape [`KeyMinter::mint`] makes: no `..`, no
    /// absolute paths, no foreign prefixes, no other characters.
    pub fn parse(key: &str) -> Result<Self, InvalidObjectKey> {
        let rest = key.strip_prefix(PREFIX).ok_or(InvalidObjectKey)?;
        let (id, ext) = rest.split_once('.').ok_or(InvalidObjectKey)?;
        let id_ok = id.len() == ID_HEX_LEN
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

    fn id(&self) -> &str {
        &self.0[PREFIX.len()..PREFIX.len() + ID_HEX_LEN]
    }

    /// Where clients PUT the unchecked bytes: a private key that no reader is
    /// ever served, so that nothing unchecked reaches anyone and a PUT through
    /// an old URL can never overwrite what was checked.
    pub fn incoming(&self) -> String {
        let rest = &self.0[PREFIX.len()..];
        let mut key = String::with_capacity(INCOMING_PREFIX.len() + rest.len());
        key.push_str(INCOMING_PREFIX);
        key.push_str(rest);
        key
    }

    /// Where the variant `preset` of this image is stored; no PUT URL names it.
    pub fn variant(&self, preset: &str, extension: &str) -> String {
        format!("{VARIANTS_PREFIX}{}/{preset}.{extension}", self.id())
    }

    /// The image format its extension names.
    pub fn format(&self) -> ImageFormat {
        let extension = self.0.rsplit('.').next().unwrap_or_default();
        ImageFormat::from_extension(extension).expect("a parsed key has a known extension")
    }

    /// The file name part, e.g. `0123…ef.png`.
    pub fn file_name(&self) -> &str {
        &self.0[PREFIX.len()..]
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Mints object keys that carry their uploader: the id is 8 random bytes and 8
/// bytes of an HMAC over them and the uploader's id, so the API can tell who may
/// read a key without a database round trip, and nobody can forge a key that
/// passes as someone else's.
#[derive(Clone)]
pub struct KeyMinter {
    mac: HmacSha256,
}

impl KeyMinter {
    /// `secret` is a server secret (at least 32 bytes); the MAC key is derived
    /// from it so that it is never used for anything else.
    pub fn new(secret: &[u8]) -> Self {
        let mut derive = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
        derive.update(b"imgup object keys v1");
        let key = derive.finalize().into_bytes();
        Self {
            mac: HmacSha256::new_from_slice(&key).expect("HMAC takes keys of any length"),
        }
    }

    fn tagger(&self, random: &[u8], owner: &str) -> HmacSha256 {
        let mut mac = self.mac.clone();
        mac.update(random);
        mac.update(owner.as_bytes());
        mac
    }

    pub fn mint(&self, format: ImageFormat, owner: &str) -> ObjectKey {
        let random: [u8; RANDOM_BYTES] = uuid::Uuid::new_v4().as_bytes()[..RANDOM_BYTES]
            .try_into()
            .expect("a UUID has 16 bytes");
        let tag = self.tagger(&random, owner).finalize().into_bytes();
        let mut hex = [0u8; 2 * (RANDOM_BYTES + TAG_BYTES)];
        let (random_hex, tag_hex) = hex.split_at_mut(2 * RANDOM_BYTES);
        hex::encode_to_slice(random, random_hex).expect("sized for the random bytes");
        hex::encode_to_slice(&tag[..TAG_BYTES], tag_hex).expect("sized for the tag");
        let extension = format.canonical_extension();
        // One allocation of the final size (formatting cost two hex strings
        // and a grown buffer a key).
        let mut key = String::with_capacity(PREFIX.len() + hex.len() + 1 + extension.len());
        key.push_str(PREFIX);
        key.push_str(std::str::from_utf8(&hex).expect("hex digits are ASCII"));
        key.push('.');
        key.push_str(extension);
        ObjectKey(key)
    }

    /// Whether `owner` minted `key` (checked in constant time).
    pub fn is_owned_by(&self, key: &ObjectKey, owner: &str) -> bool {
        let mut bytes = [0u8; RANDOM_BYTES + TAG_BYTES];
        if hex::decode_to_slice(key.id(), &mut bytes).is_err() {
            return false;
        }
        let (random, tag) = bytes.split_at(RANDOM_BYTES);
        self.tagger(random, owner)
            .verify_truncated_left(tag)
            .is_ok()
    }
}

impl fmt::Debug for KeyMinter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyMinter(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn minted_keys_parse_differ_and_belong_to_their_owner_only() {
        let minter = KeyMinter::new(SECRET);
        let a = minter.mint(ImageFormat::Jpeg, "alice");
        let b = minter.mint(ImageFormat::Jpeg, "alice");
        assert_ne!(a, b);
        assert!(a.as_str().starts_with("uploads/") && a.as_str().ends_with(".jpg"));
        assert_eq!(ObjectKey::parse(a.as_str()), Ok(a.clone()));
        assert!(minter.is_owned_by(&a, "alice"));
        assert!(!minter.is_owned_by(&a, "bob"));
        assert!(!minter.is_owned_by(&a, "alic"));
        assert!(!KeyMinter::new(b"another-secret-another-secret-xx").is_owned_by(&a, "alice"));
    }

    #[test]
    fn a_key_with_a_changed_digit_belongs_to_nobody() {
        let minter = KeyMinter::new(SECRET);
        let key = minter.mint(ImageFormat::Png, "alice");
        for position in PREFIX.len()..PREFIX.len() + ID_HEX_LEN {
            let mut forged = key.as_str().as_bytes().to_vec();
            forged[position] = if forged[position] == b'0' { b'1' } else { b'0' };
            let forged = ObjectKey::parse(std::str::from_utf8(&forged).unwrap()).unwrap();
            assert!(!minter.is_owned_by(&forged, "alice"), "{forged}");
        }
    }

    #[test]
    fn incoming_and_variant_keys_never_parse_as_served_keys() {
        let key = KeyMinter::new(SECRET).mint(ImageFormat::Jpeg, "alice");
        let id = &key.as_str()["uploads/".len()..][..ID_HEX_LEN];
        assert_eq!(key.incoming(), format!("incoming/{id}.jpg"));
        assert_eq!(
            key.variant("thumb", "webp"),
            format!("variants/{id}/thumb.webp")
        );
        assert!(ObjectKey::parse(&key.incoming()).is_err());
        assert!(ObjectKey::parse(&key.variant("thumb", "webp")).is_err());
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
