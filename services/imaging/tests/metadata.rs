//! The served bytes carry no metadata but the ICC profile, whatever path is
//! taken; the EXIF orientation is applied to the pixels.

mod support;

use imgup_imaging::{ImageFormat, VariantFormat, process};
use support::{Fixtures, contains, icc_profile, settings_with};

const SECRETS: [&[u8]; 6] = [
    b"GPS",
    b"Jane Secret",
    b"SecretCam",
    b"secret comment",
    b"Secret Creator",
    b"secretword",
];

/// The tags exiftool must not find in anything we serve.
fn assert_clean(fx: &Fixtures, what: &str, bytes: &[u8]) {
    let tags = fx.tags(bytes);
    for key in tags.keys() {
        let k = key.to_ascii_lowercase();
        let group = k.split(':').next().unwrap_or_default();
        // The ICC profile stays, and has a "creator" field of its own.
        if group.starts_with("icc") {
            continue;
        }
        assert!(
            !(k.contains("gps")
                || k.ends_with(":make")
                || k.ends_with(":model")
                || k.contains("artist")
                || k.contains("comment")
                || k.contains("creator")
                || k.contains("keywords")
                || k.ends_with(":orientation")
                || k.contains("datetimeoriginal")
                || k.contains("makernote")),
            "{what}: exiftool still finds {key} = {}",
            tags[key]
        );
        assert!(
            !matches!(
                group,
                "ifd0"
                    | "exififd"
                    | "gps"
                    | "xmp-dc"
                    | "xmp-x"
                    | "xmp-xmp"
                    | "iptc"
                    | "png-text"
                    | "png-exif"
            ),
            "{what}: exiftool still finds a {group} group ({key})"
        );
    }
    for secret in SECRETS {
        assert!(
            !contains(bytes, secret),
            "{what} still contains {:?}",
            String::from_utf8_lossy(secret)
        );
    }
}

fn tag_everything(fx: &Fixtures, name: &str, orientation: &str) -> Vec<u8> {
    fx.exiftool(
        &[
            "-n",
            &format!("-Orientation={orientation}"),
            "-Make=SecretCam",
            "-Model=SecretCam X1",
            "-Artist=Jane Secret",
            "-GPSLatitude=48.8584",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=2.2945",
            "-GPSLongitudeRef=E",
            "-DateTimeOriginal=2024:05:01 12:00:00",
            "-XMP-dc:Creator=Secret Creator",
            "-Comment=secret comment",
        ],
        name,
    )
}

/// A photo stored landscape, red on its left half and blue on its right.
fn halves(fx: &Fixtures, name: &str, extra: &[&str]) -> Vec<u8> {
    let mut args = vec![
        "-size",
        "320x240",
        "xc:red",
        "-fill",
        "blue",
        "-draw",
        "rectangle 160,0 319,239",
    ];
    args.extend_from_slice(extra);
    fx.convert(&args, name)
}

fn is_red(p: image::Rgb<u8>) -> bool {
    p[0] > 180 && p[2] < 80
}
fn is_blue(p: image::Rgb<u8>) -> bool {
    p[2] > 180 && p[0] < 80
}

#[test]
fn a_tagged_jpeg_with_orientation_6_comes_out_clean_and_portrait() {
    let fx = Fixtures::new();
    halves(&fx, "o.jpg", &["-quality", "92"]);
    fx.exiftool(&["-IPTC:Keywords=secretword"], "o.jpg");
    let tagged = tag_everything(&fx, "o.jpg", "6");
    let before = fx.tags(&tagged);
    for key in [
        "GPS:GPSLatitude",
        "IFD0:Artist",
        "IFD0:Make",
        "File:Comment",
        "IPTC:Keywords",
        "XMP-dc:Creator",
        "IFD0:Orientation",
    ] {
        assert!(
            before.contains_key(key),
            "the fixture has {key}: {:?}",
            before.keys()
        );
    }
    let out = support::process(&tagged, ImageFormat::Jpeg);
    assert_eq!(
        (out.width, out.height),
        (240, 320),
        "as displayed: portrait"
    );
    assert_clean(&fx, "the original", &out.original);
    let (w, h, kind) = fx.identify(&out.original);
    assert_eq!(
        (w, h, kind.as_str()),
        (240, 320, "JPEG"),
        "a JPEG stays a JPEG, turned"
    );
    // Turned 90 degrees clockwise: the left (red) half is now on top.
    let shown = image::load_from_memory(&out.original).unwrap().to_rgb8();
    assert!(is_red(*shown.get_pixel(120, 40)) && is_blue(*shown.get_pixel(120, 280)));
    for v in &out.variants {
        assert_clean(&fx, &v.preset, &v.bytes);
        assert!(v.width < v.height);
        let img = image::load_from_memory(&v.bytes).unwrap().to_rgb8();
        let (w, h) = img.dimensions();
        assert!(is_red(*img.get_pixel(w / 2, h / 8)) && is_blue(*img.get_pixel(w / 2, h * 7 / 8)));
    }
}

#[test]
fn a_tagged_jpeg_without_orientation_is_cleaned_losslessly() {
    let fx = Fixtures::new();
    let plain = fx.photo("n.jpg", &[]);
    let tagged = tag_everything(&fx, "n.jpg", "1");
    let out = support::process(&tagged, ImageFormat::Jpeg);
    assert_eq!((out.width, out.height), (640, 480));
    assert_clean(&fx, "the original", &out.original);
    // The same pixels, bit for bit: segments were dropped, nothing re-encoded.
    let a = image::load_from_memory(&plain).unwrap().to_rgb8();
    let b = image::load_from_memory(&out.original).unwrap().to_rgb8();
    assert!(a == b, "the scan data is untouched");
}

#[test]
fn the_icc_profile_stays_and_wide_gamut_variants_carry_it() {
    let fx = Fixtures::new();
    let a98 = icc_profile("a98.icc").expect("an Adobe RGB profile (/usr/share/color/icc/ghostscript/a98.icc, package libgs-common) for the ICC test");
    let srgb = icc_profile("srgb.icc")
        .expect("/usr/share/color/icc/ghostscript/srgb.icc for the ICC test");
    for (name, format) in [
        ("icc.jpg", ImageFormat::Jpeg),
        ("icc.png", ImageFormat::Png),
        ("icc.webp", ImageFormat::Webp),
    ] {
        fx.photo(name, &["-profile", a98.to_str().unwrap()]);
        let tagged = tag_everything(&fx, name, "1");
        let out = support::process(&tagged, format);
        assert_clean(&fx, name, &out.original);
        let tags = fx.tags(&out.original);
        let desc = tags
            .iter()
            .find(|(k, _)| k.ends_with(":ProfileDescription"))
            .map(|(_, v)| v.to_string());
        assert!(
            desc.as_deref()
                .is_some_and(|d| d.contains("Adobe") || d.contains("A98") || d.contains("a98")),
            "{name}: the ICC profile is kept: {desc:?}"
        );
        for v in &out.variants {
            let tags = fx.tags(&v.bytes);
            assert!(
                tags.keys().any(|k| k.ends_with(":ProfileDescription")),
                "{name} {}: a wide-gamut variant carries its profile",
                v.preset
            );
        }
    }
    // An sRGB profile is the default: the variants do without.
    fx.photo("srgb.jpg", &["-profile", srgb.to_str().unwrap()]);
    let out = support::process(
        &std::fs::read(fx.path("srgb.jpg")).unwrap(),
        ImageFormat::Jpeg,
    );
    assert!(contains(&out.original, b"ICC_PROFILE"));
    for v in &out.variants {
        assert!(!contains(&v.bytes, b"ICCP"), "{}", v.preset);
    }
}

#[test]
fn a_turned_jpeg_keeps_its_icc_profile() {
    let fx = Fixtures::new();
    let a98 =
        icc_profile("a98.icc").expect("/usr/share/color/icc/ghostscript/a98.icc for the ICC test");
    halves(&fx, "oi.jpg", &["-profile", a98.to_str().unwrap()]);
    let tagged = tag_everything(&fx, "oi.jpg", "8");
    let out = support::process(&tagged, ImageFormat::Jpeg);
    assert_eq!((out.width, out.height), (240, 320));
    assert_clean(&fx, "the turned original", &out.original);
    assert!(
        fx.tags(&out.original)
            .keys()
            .any(|k| k.ends_with(":ProfileDescription"))
    );
    // Orientation 8: turned 90 degrees counter-clockwise, the right (blue) half on top.
    let shown = image::load_from_memory(&out.original).unwrap().to_rgb8();
    assert!(is_blue(*shown.get_pixel(120, 40)) && is_red(*shown.get_pixel(120, 280)));
}

#[test]
fn png_text_exif_and_time_chunks_go() {
    let fx = Fixtures::new();
    fx.photo(
        "t.png",
        &[
            "-resize",
            "200x150",
            "-set",
            "comment",
            "secret comment",
            "-define",
            "png:include-chunk=tIME,text",
        ],
    );
    let tagged = tag_everything(&fx, "t.png", "1");
    assert!(contains(&tagged, b"Jane Secret"));
    let out = support::process(&tagged, ImageFormat::Png);
    assert_clean(&fx, "png", &out.original);
    for chunk in [b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"] {
        assert!(
            !contains(&out.original, chunk),
            "{}",
            String::from_utf8_lossy(chunk)
        );
    }

    // An eXIf orientation is applied, as browsers do.
    halves(&fx, "o.png", &[]);
    let turned = tag_everything(&fx, "o.png", "6");
    let out = support::process(&turned, ImageFormat::Png);
    assert_eq!((out.width, out.height), (240, 320));
    assert_clean(&fx, "turned png", &out.original);
    let shown = image::load_from_memory(&out.original).unwrap().to_rgb8();
    assert!(is_red(*shown.get_pixel(120, 40)) && is_blue(*shown.get_pixel(120, 280)));
}

#[test]
fn webp_exif_and_xmp_chunks_and_flags_go() {
    let fx = Fixtures::new();
    fx.photo("t.webp", &["-resize", "200x150"]);
    let tagged = tag_everything(&fx, "t.webp", "1");
    assert!(contains(&tagged, b"EXIF") && contains(&tagged, b"XMP "));
    let out = support::process(&tagged, ImageFormat::Webp);
    assert_clean(&fx, "webp", &out.original);
    assert!(!contains(&out.original, b"EXIF") && !contains(&out.original, b"XMP "));
    if &out.original[12..16] == b"VP8X" {
        assert_eq!(out.original[20] & 0x0C, 0, "no EXIF or XMP flags");
    }
    let (w, h, _) = fx.identify(&out.original);
    assert_eq!((w, h), (200, 150));

    halves(&fx, "o.webp", &["-define", "webp:lossless=true"]);
    let turned = tag_everything(&fx, "o.webp", "6");
    let out = support::process(&turned, ImageFormat::Webp);
    assert_eq!((out.width, out.height), (240, 320));
    assert_clean(&fx, "turned webp", &out.original);
    assert!(
        contains(&out.original, b"VP8L"),
        "a lossless original stays lossless"
    );
}

#[test]
fn avif_exif_and_xmp_items_are_blanked() {
    let fx = Fixtures::new();
    fx.photo("t.avif", &["-resize", "120x90"]);
    let tagged = tag_everything(&fx, "t.avif", "1");
    assert!(contains(&tagged, b"Jane Secret"));
    let out = support::process(&tagged, ImageFormat::Avif);
    assert_eq!((out.width, out.height), (120, 90));
    assert_clean(&fx, "avif", &out.original);
    assert_eq!(out.original.len(), tagged.len(), "blanked in place");
    let (w, h, _) = fx.identify(&out.original);
    assert_eq!((w, h), (120, 90), "still an image ImageMagick reads");
}

#[test]
fn gif_comments_and_xmp_go() {
    let fx = Fixtures::new();
    fx.convert(
        &[
            "-size",
            "60x40",
            "xc:red",
            "-set",
            "comment",
            "secret comment",
        ],
        "t.gif",
    );
    let tagged = fx.exiftool(&["-XMP-dc:Creator=Secret Creator"], "t.gif");
    assert!(contains(&tagged, b"secret comment") && contains(&tagged, b"Secret Creator"));
    let out = support::process(&tagged, ImageFormat::Gif);
    assert_clean(&fx, "gif", &out.original);
    let (w, h, kind) = fx.identify(&out.original);
    assert_eq!((w, h, kind.as_str()), (60, 40, "GIF"));
}

#[test]
fn jpeg_variants_carry_no_metadata_either() {
    let fx = Fixtures::new();
    fx.photo("v.jpg", &[]);
    let tagged = tag_everything(&fx, "v.jpg", "3");
    let out = process(
        &tagged,
        ImageFormat::Jpeg,
        &settings_with("thumb=320", VariantFormat::Jpeg),
    )
    .unwrap();
    for v in &out.variants {
        assert_eq!(v.content_type, "image/jpeg");
        assert_clean(&fx, &v.preset, &v.bytes);
        assert_eq!((v.width, v.height), (320, 240));
    }
}

#[test]
fn phone_jpegs_with_appended_mpf_images_lose_them() {
    // Phones append a second JPEG (depth or gain map, with its own EXIF) after
    // EOI and list it in an MPF segment: accepted, the appendix dropped.
    let fx = Fixtures::new();
    let main = fx.photo("main.jpg", &["-resize", "160x120"]);
    fx.photo("extra.jpg", &["-resize", "80x60"]);
    let extra = tag_everything(&fx, "extra.jpg", "1");
    let mut phone = main[..2].to_vec();
    let mpf = b"MPF\0MM\0\x2a\0\0\0\x08\0\0";
    phone.extend_from_slice(&[0xFF, 0xE2]);
    phone.extend_from_slice(&((mpf.len() + 2) as u16).to_be_bytes());
    phone.extend_from_slice(mpf);
    phone.extend_from_slice(&main[2..]);
    phone.extend_from_slice(&extra);
    let out = support::process(&phone, ImageFormat::Jpeg);
    assert_eq!((out.width, out.height), (160, 120));
    assert_clean(&fx, "the phone original", &out.original);
    assert!(!contains(&out.original, b"MPF\0"));
    assert!(out.original.ends_with(&[0xFF, 0xD9]));
    assert!(
        out.original.len() < main.len() + 64,
        "the appended image is gone"
    );

    // Without the MPF segment, the same appendix is trailing data.
    let mut polyglot = main.clone();
    polyglot.extend_from_slice(&extra);
    assert_eq!(
        support::code(process(&polyglot, ImageFormat::Jpeg, &support::settings())),
        "trailing_data"
    );
}
