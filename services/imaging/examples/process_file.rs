//! Processes one file as the API would and prints what it took:
//!
//! ```text
//! process_file FILE [--format image/jpeg] [--presets thumb=320,medium=1280] [--jpeg] [--out DIR] [--probe]
//! ```
//!
//! One line of `key=value` pairs: `ms` (wall time of `process`, or of
//! `probe` with `--probe`), `alloc_bytes` (bytes allocated during the call),
//! `peak_rss_kb` (the process's high-water mark, from /proc), and the result.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use imgup_imaging::{ImageFormat, Limits, Settings, VariantFormat};

struct Counting;
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: process_file FILE [options]");
    let mut format = None;
    let mut presets = "thumb=320,medium=1280".to_owned();
    let mut variant_format = VariantFormat::Webp;
    let mut out_dir = None;
    let mut probe_only = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--format" => {
                format = Some(
                    args.next()
                        .expect("--format MIME")
                        .parse::<ImageFormat>()
                        .expect("a known MIME type"),
                )
            }
            "--presets" => presets = args.next().expect("--presets LIST"),
            "--jpeg" => variant_format = VariantFormat::Jpeg,
            "--out" => out_dir = Some(args.next().expect("--out DIR")),
            "--probe" => probe_only = true,
            other => panic!("unknown option {other}"),
        }
    }
    let ext = path.rsplit('.').next().unwrap_or_default();
    let format = format
        .or_else(|| ImageFormat::from_extension(ext))
        .expect("a format (--format or the extension)");
    let bytes = std::fs::read(&path).expect("the file reads");
    let settings = Settings {
        limits: Limits::default(),
        presets: presets.parse().expect("valid presets"),
        variant_format,
    };

    let before = ALLOCATED.load(Ordering::Relaxed);
    let start = Instant::now();
    let result = if probe_only {
        imgup_imaging::probe(&bytes, format, &settings.limits)
            .map(|p| format!("probe={}x{}x{}", p.width, p.height, p.frames))
    } else {
        imgup_imaging::process(&bytes, format, &settings).map(|p| {
            let mut line = format!(
                "size={}x{} original_bytes={}",
                p.width,
                p.height,
                p.original.len()
            );
            for v in &p.variants {
                line.push_str(&format!(
                    " {}={}x{}:{}B",
                    v.preset,
                    v.width,
                    v.height,
                    v.bytes.len()
                ));
            }
            if let Some(dir) = &out_dir {
                std::fs::create_dir_all(dir).unwrap();
                std::fs::write(format!("{dir}/original.{ext}"), &p.original).unwrap();
                for v in &p.variants {
                    std::fs::write(
                        format!("{dir}/{}.{}", v.preset, variant_format.extension()),
                        &v.bytes,
                    )
                    .unwrap();
                }
            }
            line
        })
    };
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let alloc = ALLOCATED.load(Ordering::Relaxed) - before;
    match result {
        Ok(line) => println!(
            "ms={ms:.3} alloc_bytes={alloc} peak_rss_kb={} ok {line}",
            peak_rss_kb()
        ),
        Err(e) => println!(
            "ms={ms:.3} alloc_bytes={alloc} peak_rss_kb={} rejected={} reason={:?}",
            peak_rss_kb(),
            e.code,
            e.reason
        ),
    }
}
