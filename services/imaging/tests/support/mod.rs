//! Fixtures made at test time by independent tools (ImageMagick, exiftool),
//! in a temporary directory. A missing tool fails the test, loudly.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use imgup_imaging::{ImageFormat, Limits, Presets, Settings, VariantFormat};

pub const CONVERT: &str = "/usr/bin/convert";
pub const IDENTIFY: &str = "/usr/bin/identify";
pub const EXIFTOOL: &str = "exiftool";
pub const VIPS: &str = "vips";

pub struct Fixtures {
    pub dir: tempfile::TempDir,
}

fn run(program: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{program} could not be run ({e}): the image tests need ImageMagick and exiftool \
             (apt-get install -y imagemagick libimage-exiftool-perl libvips-tools)"
            )
        });
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

impl Fixtures {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `convert ARGS... name`, then the file's bytes.
    pub fn convert(&self, args: &[&str], name: &str) -> Vec<u8> {
        let out = self.path(name);
        let mut all: Vec<&str> = args.to_vec();
        let out_s = out.to_str().unwrap().to_owned();
        all.push(&out_s);
        run(CONVERT, &all);
        std::fs::read(&out).unwrap()
    }

    /// `vips ARGS...` with `{out}` standing for the file `name`, then its bytes.
    pub fn vips(&self, args: &[&str], name: &str) -> Vec<u8> {
        let out = self.path(name);
        let out_s = out.to_str().unwrap().to_owned();
        let all: Vec<&str> = args
            .iter()
            .map(|a| if *a == "{out}" { out_s.as_str() } else { a })
            .collect();
        run(VIPS, &all);
        std::fs::read(&out).unwrap()
    }

    /// exiftool ARGS... on the file `name` (in place), then its bytes.
    pub fn exiftool(&self, args: &[&str], name: &str) -> Vec<u8> {
        let path = self.path(name);
        let mut all = vec!["-q", "-overwrite_original"];
        all.extend_from_slice(args);
        let p = path.to_str().unwrap().to_owned();
        all.push(&p);
        run(EXIFTOOL, &all);
        std::fs::read(&path).unwrap()
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// A 640x480 "photo" (plasma fractal, fixed seed) as `name`.
    pub fn photo(&self, name: &str, extra: &[&str]) -> Vec<u8> {
        let mut args = vec!["-seed", "7", "-size", "640x480", "plasma:fractal"];
        args.extend_from_slice(extra);
        self.convert(&args, name)
    }

    /// Every tag exiftool finds in `bytes`, as `Group:Tag` => value.
    pub fn tags(&self, bytes: &[u8]) -> serde_json::Map<String, serde_json::Value> {
        let path = self.write("inspect.bin", bytes);
        let out = run(EXIFTOOL, &["-j", "-a", "-G1", "-b", path.to_str().unwrap()]);
        let json: serde_json::Value =
            serde_json::from_slice(&out).expect("exiftool -j prints JSON");
        json[0].as_object().cloned().unwrap_or_default()
    }

    /// (width, height, format) as ImageMagick's `identify` sees the first frame.
    pub fn identify(&self, bytes: &[u8]) -> (u32, u32, String) {
        let path = self.write("identify.bin", bytes);
        let arg = format!("{}[0]", path.display());
        let out = run(IDENTIFY, &["-format", "%w %h %m", &arg]);
        let out = String::from_utf8(out).unwrap();
        let mut it = out.split_whitespace();
        let w = it.next().unwrap().parse().unwrap();
        let h = it.next().unwrap().parse().unwrap();
        (w, h, it.next().unwrap().to_owned())
    }
}

pub fn settings() -> Settings {
    Settings {
        limits: Limits::default(),
        presets: Presets::default(),
        variant_format: VariantFormat::Webp,
    }
}

pub fn settings_with(presets: &str, format: VariantFormat) -> Settings {
    Settings {
        limits: Limits::default(),
        presets: presets.parse().unwrap(),
        variant_format: format,
    }
}

pub fn process(bytes: &[u8], format: ImageFormat) -> imgup_imaging::Processed {
    match imgup_imaging::process(bytes, format, &settings()) {
        Ok(p) => p,
        Err(e) => panic!("{format} refused: {} ({})", e.code, e.reason),
    }
}

pub fn code(result: Result<impl Sized, imgup_imaging::Rejection>) -> &'static str {
    match result {
        Ok(_) => "accepted",
        Err(e) => e.code.as_str(),
    }
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn crc32(kind: &[u8], data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in kind.iter().chain(data) {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(kind, data).to_be_bytes());
}

/// A PNG whose IHDR says `w` x `h` (8-bit greyscale), with a token IDAT: a
/// decompression bomb's header, made by hand (ImageMagick would need the
/// gigapixels in memory to write one).
pub fn bomb_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    // zlib stream: a few stored zero bytes, nowhere near the promised size.
    png_chunk(
        &mut out,
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x04, 0x00, 0xfb, 0xff, 0, 0, 0, 0, 0, 0x04, 0x00, 0x01,
        ],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

pub fn icc_profile(name: &str) -> Option<PathBuf> {
    let path = Path::new("/usr/share/color/icc/ghostscript").join(name);
    path.exists().then_some(path)
}
