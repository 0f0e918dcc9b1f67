//! Hostile input: bombs, polyglots, truncation, wrong formats, mutations.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use imgup_imaging::{ImageFormat, Limits, probe, process};
use support::{Fixtures, bomb_png, code, settings};

/// Counts the bytes each thread allocates, so that a test can measure the
/// allocations of one call while other tests run beside it.
struct Counting;

thread_local! {
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATED.try_with(|a| a.set(a.get() + layout.size()));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATED.try_with(|a| a.set(a.get() + new_size));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocated_by<T>(f: impl FnOnce() -> T) -> (T, usize, Duration) {
    let before = ALLOCATED.with(Cell::get);
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    (out, ALLOCATED.with(Cell::get) - before, took)
}

#[test]
fn a_gigapixel_png_is_refused_from_its_header() {
    let bomb = bomb_png(60_000, 60_000);
    assert!(bomb.len() < 100);
    let (result, bytes, took) = allocated_by(|| process(&bomb, ImageFormat::Png, &settings()));
    let rejection = result.expect_err("a 3.6-gigapixel image is refused");
    assert_eq!(rejection.code.as_str(), "too_wide", "{}", rejection.reason);
    assert!(took < Duration::from_millis(50), "refused in {took:?}");
    assert!(bytes < 5 << 20, "allocated {bytes} bytes");

    // Within the side limits, the pixel count decides.
    let limits = Limits {
        max_width: 0,
        max_height: 0,
        ..Limits::default()
    };
    let (result, bytes, took) = allocated_by(|| probe(&bomb, ImageFormat::Png, &limits));
    assert_eq!(code(result), "too_many_pixels");
    assert!(took < Duration::from_millis(50), "refused in {took:?}");
    assert!(bytes < 5 << 20, "allocated {bytes} bytes");
}

#[test]
fn long_thin_images_are_held_to_the_side_limits() {
    let fx = Fixtures::new();
    // ImageMagick's policy refuses sides over 16k pixels: libvips makes these.
    let wide = fx.vips(&["black", "{out}", "20000", "10"], "wide.png");
    let tall = fx.vips(&["black", "{out}", "10", "20000"], "tall.png");
    assert_eq!(
        code(probe(&wide, ImageFormat::Png, &Limits::default())),
        "too_wide"
    );
    assert_eq!(
        code(probe(&tall, ImageFormat::Png, &Limits::default())),
        "too_tall"
    );
    let unlimited = Limits {
        max_width: 0,
        max_height: 0,
        max_pixels: 0,
        max_frames: 0,
    };
    let p = probe(&wide, ImageFormat::Png, &unlimited).unwrap();
    assert_eq!((p.width, p.height, p.frames), (20000, 10, 1));
}

#[test]
fn polyglots_are_refused() {
    let fx = Fixtures::new();
    let mut png = fx.convert(&["-size", "40x30", "gradient:red-blue"], "g.png");
    png.extend_from_slice(b"<html><script>alert(document.cookie)</script></html>");
    assert_eq!(
        code(process(&png, ImageFormat::Png, &settings())),
        "trailing_data"
    );

    let mut magic_only = b"\x89PNG\r\n\x1a\n".to_vec();
    magic_only.extend_from_slice(b"<html><script>alert(1)</script></html>");
    let c = code(process(&magic_only, ImageFormat::Png, &settings()));
    assert!(c == "corrupt" || c == "not_an_image", "{c}");

    let mut jpeg = fx.photo("p.jpg", &["-resize", "64x48"]);
    jpeg.extend_from_slice(b"<script>alert(1)</script>");
    assert_eq!(
        code(process(&jpeg, ImageFormat::Jpeg, &settings())),
        "trailing_data"
    );

    let mut webp = fx.photo("p.webp", &["-resize", "64x48"]);
    webp.extend_from_slice(b"<script>alert(1)</script>");
    assert_eq!(
        code(process(&webp, ImageFormat::Webp, &settings())),
        "trailing_data"
    );

    let mut gif = fx.convert(&["-size", "40x30", "xc:red"], "r.gif");
    gif.extend_from_slice(b"<script>alert(1)</script>");
    assert_eq!(
        code(process(&gif, ImageFormat::Gif, &settings())),
        "trailing_data"
    );

    // A little zero padding is tolerated (and dropped).
    let mut padded = fx.photo("q.jpg", &["-resize", "64x48"]);
    padded.extend_from_slice(&[0; 16]);
    let out = process(&padded, ImageFormat::Jpeg, &settings()).unwrap();
    assert!(out.original.ends_with(&[0xFF, 0xD9]));
}

#[test]
fn truncated_images_are_refused() {
    let fx = Fixtures::new();
    for (name, format) in [
        ("t.jpg", ImageFormat::Jpeg),
        ("t.png", ImageFormat::Png),
        ("t.webp", ImageFormat::Webp),
        ("t.gif", ImageFormat::Gif),
    ] {
        let full = fx.photo(name, &["-resize", "160x120"]);
        for cut in [full.len() * 6 / 10, full.len() - 1, 40, 12, 3] {
            let c = code(process(&full[..cut], format, &settings()));
            assert!(
                c == "truncated" || c == "corrupt",
                "{format} cut at {cut}: {c}"
            );
        }
    }
}

#[test]
fn things_that_are_not_images_are_refused() {
    let fx = Fixtures::new();
    let zip_path = fx.path("a.zip");
    let status = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], 'w'); z.writestr('a.txt', 'hello' * 100); z.close()",
            zip_path.to_str().unwrap(),
        ])
        .status()
        .expect("python3 makes the zip");
    assert!(status.success());
    let zip = std::fs::read(&zip_path).unwrap();
    assert_eq!(
        code(process(&zip, ImageFormat::Png, &settings())),
        "not_an_image"
    );
    assert_eq!(
        code(process(
            b"<!doctype html><html><body>hi</body></html>",
            ImageFormat::Jpeg,
            &settings()
        )),
        "not_an_image"
    );
    let random: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_eq!(
        code(process(&random, ImageFormat::Webp, &settings())),
        "not_an_image"
    );
    assert_eq!(
        code(process(b"", ImageFormat::Gif, &settings())),
        "not_an_image"
    );
}

#[test]
fn an_image_of_another_format_than_declared_is_refused() {
    let fx = Fixtures::new();
    let jpeg = fx.photo("w.jpg", &["-resize", "64x48"]);
    assert_eq!(
        code(process(&jpeg, ImageFormat::Png, &settings())),
        "wrong_format"
    );
    let png = fx.photo("w.png", &["-resize", "64x48"]);
    assert_eq!(
        code(probe(&png, ImageFormat::Webp, &Limits::default())),
        "wrong_format"
    );
    let bmp = fx.photo("w.bmp", &["-resize", "64x48"]);
    assert_eq!(
        code(probe(&bmp, ImageFormat::Jpeg, &Limits::default())),
        "wrong_format"
    );
}

#[test]
fn frame_counts_are_held_to_the_limit() {
    let fx = Fixtures::new();
    let frames: Vec<String> = (0..12)
        .map(|i| format!("xc:rgb({},{},0)", i * 20, 255 - i * 20))
        .collect();
    let mut args = vec!["-delay", "5", "-size", "48x32"];
    args.extend(frames.iter().map(String::as_str));
    let gif = fx.convert(&args, "a.gif");
    let gif_all = format!("{}[n=-1]", fx.path("a.gif").display());
    let webp = fx.vips(&["copy", &gif_all, "{out}"], "a.webp");
    let limits = Limits {
        max_frames: 10,
        ..Limits::default()
    };
    for (bytes, format) in [(&gif, ImageFormat::Gif), (&webp, ImageFormat::Webp)] {
        assert_eq!(
            code(probe(bytes, format, &limits)),
            "too_many_frames",
            "{format}"
        );
        let p = probe(bytes, format, &Limits::default()).unwrap();
        assert_eq!((p.width, p.height, p.frames), (48, 32, 12), "{format}");
    }
}

/// A small deterministic generator, so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn mutated_real_images_never_panic() {
    let fx = Fixtures::new();
    let mut seeds = vec![
        (fx.photo("m.jpg", &["-resize", "48x36"]), ImageFormat::Jpeg),
        (
            fx.photo("mp.jpg", &["-resize", "48x36", "-interlace", "Plane"]),
            ImageFormat::Jpeg,
        ),
        (fx.photo("m.png", &["-resize", "48x36"]), ImageFormat::Png),
        (fx.photo("m.webp", &["-resize", "48x36"]), ImageFormat::Webp),
        (
            fx.photo(
                "ml.webp",
                &["-resize", "48x36", "-define", "webp:lossless=true"],
            ),
            ImageFormat::Webp,
        ),
        (fx.photo("m.gif", &["-resize", "48x36"]), ImageFormat::Gif),
        (fx.photo("m.avif", &["-resize", "48x36"]), ImageFormat::Avif),
    ];
    seeds.push((
        fx.exiftool(
            &["-Artist=someone", "-GPSLatitude=1", "-Orientation=6", "-n"],
            "m.jpg",
        ),
        ImageFormat::Jpeg,
    ));
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut outcomes = std::collections::BTreeMap::<&str, usize>::new();
    for (seed, format) in &seeds {
        for _ in 0..120 {
            let mut b = seed.clone();
            match rng.below(4) {
                0 => {
                    for _ in 0..1 + rng.below(8) {
                        let i = rng.below(b.len());
                        b[i] = rng.next() as u8;
                    }
                }
                1 => b.truncate(rng.below(b.len())),
                2 => {
                    let i = rng.below(b.len());
                    let n = rng.below(64).min(b.len() - i);
                    let copy = b[i..i + n].to_vec();
                    let at = rng.below(b.len());
                    b.splice(at..at, copy);
                }
                _ => {
                    // Lengths and sizes live in the first bytes: hit them harder.
                    let i = rng.below(b.len().min(200));
                    b[i] = [0x00, 0xFF, 0x7F, 0x80][rng.below(4)];
                }
            }
            let c = code(process(&b, *format, &settings()));
            *outcomes.entry(c).or_default() += 1;
        }
    }
    assert!(outcomes.len() > 2, "{outcomes:?}");
}
