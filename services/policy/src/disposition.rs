use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::ImageFormat;

/// RFC 8187 `attr-char`: everything else is percent-encoded in `filename*`.
const ATTR_CHAR_COMPLEMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// A `Content-Disposition: attachment` value naming `filename`, safe whatever the
/// name holds: a plain-ASCII `filename` fallback (quotes, backslashes, control and
/// non-ASCII characters replaced by `_`) and the exact name as RFC 8187 `filename*`.
pub fn attachment(filename: &str) -> String {
    let cleaned: String = filename.chars().filter(|c| !c.is_control()).collect();
    let cleaned = if cleaned.trim().is_empty() {
        "download"
    } else {
        cleaned.as_str()
    };
    let fallback: String = cleaned
        .chars()
        .map(|c| match c {
            '"' | '\\' => '_',
            c if c.is_ascii() => c,
            _ => '_',
        })
        .collect();
    let encoded = utf8_percent_encode(cleaned, ATTR_CHAR_COMPLEMENT);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// `filename` with an extension of `format`: a download never goes out under
/// another type's name (`invoice.exe` of a PNG is saved as `invoice.png`).
pub fn download_name(filename: &str, format: ImageFormat) -> String {
    let filename = filename.trim();
    let (stem, extension) = match filename.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, Some(extension)),
        _ => (filename, None),
    };
    match extension {
        Some(extension)
            if format
                .extensions()
                .iter()
                .any(|known| known.eq_ignore_ascii_case(extension)) =>
        {
            filename.to_owned()
        }
        _ => format!("{stem}.{}", format.canonical_extension()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_keeps_the_images_real_extension() {
        for (asked, format, saved) in [
            ("invoice.exe", ImageFormat::Png, "invoice.png"),
            ("cat.JPEG", ImageFormat::Jpeg, "cat.JPEG"),
            ("cat.jpg", ImageFormat::Jpeg, "cat.jpg"),
            ("cat.png.exe", ImageFormat::Webp, "cat.png.webp"),
            ("noext", ImageFormat::Gif, "noext.gif"),
            (".htaccess", ImageFormat::Png, ".htaccess.png"),
            ("a.", ImageFormat::Png, "a.png"),
        ] {
            assert_eq!(download_name(asked, format), saved, "{asked}");
        }
    }
    use percent_encoding::percent_decode_str;
    use proptest::prelude::*;

    #[test]
    fn plain_names_stay_readable() {
        assert_eq!(
            attachment("cat.jpg"),
            "attachment; filename=\"cat.jpg\"; filename*=UTF-8''cat.jpg"
        );
    }

    #[test]
    fn quotes_non_ascii_and_line_breaks_are_neutralised() {
        let value = attachment("a\"b\r\nSet-Cookie: x=1;고양이.jpg");
        assert!(!value.contains(['\r', '\n']));
        assert!(value.starts_with("attachment; filename=\"a_bSet-Cookie: x=1;___.jpg\"; "));
        assert!(value.ends_with(
            "filename*=UTF-8''a%22bSet-Cookie%3A%20x%3D1%3B%EA%B3%A0%EC%96%91%EC%9D%B4.jpg"
        ));
        assert_eq!(
            attachment("\r\n"),
            "attachment; filename=\"download\"; filename*=UTF-8''download"
        );
    }

    fn parts(value: &str) -> (String, String) {
        let rest = value
            .strip_prefix("attachment; filename=\"")
            .expect("prefix");
        let (fallback, star) = rest
            .split_once("\"; filename*=UTF-8''")
            .expect("two parameters");
        (fallback.to_owned(), star.to_owned())
    }

    proptest! {
        #[test]
        fn any_name_gives_a_well_formed_header(name in any::<String>()) {
            let value = attachment(&name);
            prop_assert!(http_header_safe(&value));
            let (fallback, star) = parts(&value);
            prop_assert!(!fallback.contains(['"', '\\']));
            prop_assert!(star.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~%".contains(&b)));
            let decoded = percent_decode_str(&star).decode_utf8().unwrap().into_owned();
            let expected: String = name.chars().filter(|c| !c.is_control()).collect();
            if expected.trim().is_empty() {
                prop_assert_eq!(decoded, "download");
            } else {
                prop_assert_eq!(decoded, expected);
            }
        }
    }

    fn http_header_safe(value: &str) -> bool {
        value
            .bytes()
            .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
    }
}
