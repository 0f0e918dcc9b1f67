//! Real-world images from ImageMagick are accepted, with the right size, and
//! their variants are right.

mod support;

use imgup_imaging::{ImageFormat, Limits, VariantFormat, probe, process};
use support::{Fixtures, contains, settings_with};

fn check_variants(fx: &Fixtures, out: &imgup_imaging::Processed, expect: &[(&str, u32, u32)]) {
    assert_eq!(out.variants.len(), expect.len());
    for (v, &(name, w, h)) in out.variants.iter().zip(expect) {
        assert_eq!((v.preset.as_str(), v.width, v.height), (name, w, h));
        assert_eq!(v.content_type, "image/webp");
        let decoded = image::load_from_memory_with_format(&v.bytes, image::ImageFormat::WebP)
            .expect("the variant decodes");
        assert_eq!((decoded.width(), decoded.height()), (w, h));
        let (iw, ih, kind) = fx.identify(&v.bytes);
        assert_eq!((iw, ih, kind.as_str()), (w, h, "WEBP"));
        for needle in [&b"EXIF"[..], b"Exif", b"XMP ", b"<x:xmpmeta"] {
            assert!(
                !contains(&v.bytes, needle),
                "variant {name} carries {needle:?}"
            );
        }
    }
}

fn accepted(
    fx: &Fixtures,
    bytes: &[u8],
    format: ImageFormat,
    w: u32,
    h: u32,
) -> imgup_imaging::Processed {
    let out = support::process(bytes, format);
    assert_eq!((out.width, out.height), (w, h), "{format}");
    let (iw, ih, _) = fx.identify(&out.original);
    assert_eq!((iw, ih), (w, h), "the cleaned {format} original");
    assert!(
        out.blurhash.as_deref().is_some_and(|b| b.len() >= 6),
        "{format}: {:?}",
        out.blurhash
    );
    out
}

#[test]
fn jpegs_baseline_progressive_cmyk_and_grey() {
    let fx = Fixtures::new();
    let cases: [(&str, &[&str]); 4] = [
        ("base.jpg", &["-quality", "90"]),
        ("prog.jpg", &["-interlace", "Plane"]),
        ("cmyk.jpg", &["-colorspace", "CMYK"]),
        ("grey.jpg", &["-colorspace", "Gray"]),
    ];
    for (name, extra) in cases {
        let bytes = fx.photo(name, extra);
        let out = accepted(&fx, &bytes, ImageFormat::Jpeg, 640, 480);
        check_variants(&fx, &out, &[("thumb", 320, 240), ("medium", 640, 480)]);
        // Nothing moved, so the original is the upload without metadata.
        assert!(out.original.len() <= bytes.len());
        if name == "cmyk.jpg" {
            assert!(
                contains(&out.original, b"Adobe"),
                "the Adobe segment (CMYK transform) stays"
            );
        }
    }
}

#[test]
fn pngs_16_bit_alpha_palette_transparency_grey() {
    let fx = Fixtures::new();
    let rgba16 = fx.convert(
        &[
            "-size",
            "300x200",
            "gradient:red-blue",
            "(",
            "-size",
            "300x200",
            "gradient:white-black",
            ")",
            "-alpha",
            "off",
            "-compose",
            "CopyOpacity",
            "-composite",
            "-depth",
            "16",
        ],
        "PNG64:rgba16.png",
    );
    assert_eq!(rgba16[24..26], [16, 6], "16-bit RGBA");
    let out = accepted(&fx, &rgba16, ImageFormat::Png, 300, 200);
    check_variants(&fx, &out, &[("thumb", 300, 200), ("medium", 300, 200)]);
    let thumb = image::load_from_memory(&out.variants[0].bytes).unwrap();
    assert!(thumb.color().has_alpha(), "alpha is kept");

    let palette = fx.convert(
        &[
            "-size",
            "120x80",
            "xc:red",
            "-fill",
            "white",
            "-draw",
            "rectangle 10,10 60,60",
            "-transparent",
            "white",
        ],
        "PNG8:pal.png",
    );
    assert_eq!(palette[25], 3, "a palette PNG");
    assert!(contains(&palette, b"tRNS"));
    let out = accepted(&fx, &palette, ImageFormat::Png, 120, 80);
    assert!(contains(&out.original, b"tRNS"), "transparency stays");
    let thumb = image::load_from_memory(&out.variants[0].bytes)
        .unwrap()
        .to_rgba8();
    assert_eq!(
        thumb.get_pixel(30, 30)[3],
        0,
        "transparent inside the square"
    );
    assert_eq!(thumb.get_pixel(100, 70)[3], 255);

    let grey = fx.photo("grey.png", &["-colorspace", "Gray"]);
    let out = accepted(&fx, &grey, ImageFormat::Png, 640, 480);
    check_variants(&fx, &out, &[("thumb", 320, 240), ("medium", 640, 480)]);
}

#[test]
fn webp_lossy_lossless_and_alpha() {
    let fx = Fixtures::new();
    let lossy = fx.photo("lossy.webp", &["-quality", "80"]);
    assert!(contains(&lossy, b"VP8 "));
    let out = accepted(&fx, &lossy, ImageFormat::Webp, 640, 480);
    check_variants(&fx, &out, &[("thumb", 320, 240), ("medium", 640, 480)]);

    let lossless = fx.photo("lossless.webp", &["-define", "webp:lossless=true"]);
    assert!(contains(&lossless, b"VP8L"));
    accepted(&fx, &lossless, ImageFormat::Webp, 640, 480);

    let alpha = fx.convert(
        &[
            "-size",
            "200x100",
            "xc:none",
            "-fill",
            "blue",
            "-draw",
            "circle 50,50 50,10",
        ],
        "alpha.webp",
    );
    let out = accepted(&fx, &alpha, ImageFormat::Webp, 200, 100);
    let thumb = image::load_from_memory(&out.variants[0].bytes)
        .unwrap()
        .to_rgba8();
    assert_eq!(thumb.get_pixel(190, 90)[3], 0);
    assert_eq!(thumb.get_pixel(50, 50)[3], 255);
}

#[test]
fn animations_keep_their_frames_and_render_the_first() {
    let fx = Fixtures::new();
    let gif = fx.convert(
        &[
            "-delay", "10", "-size", "90x60", "xc:red", "xc:green", "xc:blue", "-loop", "0",
        ],
        "anim.gif",
    );
    let out = accepted(&fx, &gif, ImageFormat::Gif, 90, 60);
    assert_eq!(
        probe(&out.original, ImageFormat::Gif, &Limits::default())
            .unwrap()
            .frames,
        3
    );
    assert!(
        contains(&out.original, b"NETSCAPE2.0"),
        "the loop count stays"
    );
    let thumb = image::load_from_memory(&out.variants[0].bytes)
        .unwrap()
        .to_rgb8();
    let p = thumb.get_pixel(45, 30);
    assert!(p[0] > 200 && p[1] < 60, "the first frame (red): {p:?}");

    // ImageMagick 6.9.11 appends a second RIFF to animated WebP: libvips
    // (libwebp's animation encoder) writes a well-formed one.
    let gif_all = format!("{}[n=-1]", fx.path("anim.gif").display());
    let webp = fx.vips(&["copy", &gif_all, "{out}"], "anim.webp");
    let out = accepted(&fx, &webp, ImageFormat::Webp, 90, 60);
    assert_eq!(
        probe(&out.original, ImageFormat::Webp, &Limits::default())
            .unwrap()
            .frames,
        3
    );
    let thumb = image::load_from_memory(&out.variants[0].bytes)
        .unwrap()
        .to_rgb8();
    let p = thumb.get_pixel(45, 30);
    assert!(p[0] > 200 && p[1] < 60, "the first frame (red): {p:?}");
}

#[test]
fn avif_is_checked_and_cleaned_but_gets_no_variants() {
    let fx = Fixtures::new();
    let avif = fx.photo("p.avif", &["-resize", "200x150"]);
    let p = probe(&avif, ImageFormat::Avif, &Limits::default()).unwrap();
    assert_eq!((p.width, p.height, p.frames), (200, 150, 1));
    let out = support::process(&avif, ImageFormat::Avif);
    assert_eq!((out.width, out.height), (200, 150));
    assert!(out.variants.is_empty() && out.blurhash.is_none());
    let (w, h, kind) = fx.identify(&out.original);
    // ImageMagick 6 reads AVIF through its HEIC coder.
    assert!(kind == "AVIF" || kind == "HEIC", "{kind}");
    assert_eq!((w, h), (200, 150));
    let small = Limits {
        max_width: 100,
        ..Limits::default()
    };
    assert_eq!(
        support::code(probe(&avif, ImageFormat::Avif, &small)),
        "too_wide"
    );
}

#[test]
fn variants_never_upscale_keep_the_aspect_and_round() {
    let fx = Fixtures::new();
    let small = fx.convert(&["-size", "200x100", "gradient:red-blue"], "small.png");
    let out = process(
        &small,
        ImageFormat::Png,
        &settings_with("thumb=320,medium=1280", VariantFormat::Webp),
    )
    .unwrap();
    check_variants(&fx, &out, &[("thumb", 200, 100), ("medium", 200, 100)]);

    let odd = fx.convert(&["-size", "1001x333", "gradient:red-blue"], "odd.png");
    let out = process(
        &odd,
        ImageFormat::Png,
        &settings_with("a=100,b=16,c=500", VariantFormat::Webp),
    )
    .unwrap();
    // 333 * 100 / 1001 = 33.27; 333 * 16 / 1001 = 5.32; 333 * 500 / 1001 = 166.33
    check_variants(&fx, &out, &[("a", 100, 33), ("b", 16, 5), ("c", 500, 166)]);

    let sliver = fx.convert(&["-size", "2000x3", "xc:gray"], "sliver.png");
    let out = process(
        &sliver,
        ImageFormat::Png,
        &settings_with("t=100", VariantFormat::Webp),
    )
    .unwrap();
    assert_eq!((out.variants[0].width, out.variants[0].height), (100, 1));
}

#[test]
fn jpeg_variants_flatten_alpha_onto_white() {
    let fx = Fixtures::new();
    let alpha = fx.convert(
        &[
            "-size",
            "200x100",
            "xc:none",
            "-fill",
            "blue",
            "-draw",
            "rectangle 0,0 99,99",
        ],
        "a.png",
    );
    let out = process(
        &alpha,
        ImageFormat::Png,
        &settings_with("thumb=100", VariantFormat::Jpeg),
    )
    .unwrap();
    let v = &out.variants[0];
    assert_eq!((v.width, v.height, v.content_type), (100, 50, "image/jpeg"));
    let img = image::load_from_memory_with_format(&v.bytes, image::ImageFormat::Jpeg)
        .unwrap()
        .to_rgb8();
    let white = img.get_pixel(90, 25);
    let blue = img.get_pixel(10, 25);
    assert!(white.0.iter().all(|&c| c > 240), "{white:?}");
    assert!(blue[2] > 200 && blue[0] < 40, "{blue:?}");
    let (w, h, kind) = fx.identify(&v.bytes);
    assert_eq!((w, h, kind.as_str()), (100, 50, "JPEG"));
}
