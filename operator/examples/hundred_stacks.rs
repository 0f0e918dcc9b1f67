//! Reconcile time and memory with 100 stacks: the real reconcile function
//! (`imgup_operator::controller::reconcile`) against the in-process fake API
//! server of the tests (`src/fixtures.rs`), so what it measures is the
//! operator's own work per pass (building, hashing and comparing the
//! objects, serializing requests, reading the answers), not the latency of a
//! real API server.
//!
//! 100 stacks (one namespace each, default spec) get a first pass (the
//! generated Secret, every object applied, the prune lists, the status),
//! then, once the fake reports their workloads ready, a pass that marks
//! them Ready, and then a steady pass (an unchanged, ready stack: reads
//! only). Printed: mean and p95 wall time of a reconcile per stack for the
//! first and the steady pass, and the process' peak resident memory
//! (VmHWM) before and after. The fake's stored objects live in the same
//! process and are part of that memory, so the live heap is also split
//! (a counting allocator) into what the operator keeps between passes and
//! what the fake holds.
//!
//! ```sh
//! cargo run --release -p imgup-operator --example hundred_stacks
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use imgup_operator::controller::{Context, reconcile};
use imgup_operator::crd::{FINALIZER, ImageUploadStack, ImageUploadStackSpec};
use imgup_operator::metrics::Metrics;
// `fixtures.rs` names the field managers as `crate::resources::…`.
use imgup_operator::resources;
use kube::runtime::events::Reporter;
use prometheus_client::registry::Registry;

#[allow(dead_code)]
#[path = "../src/fixtures.rs"]
mod fixtures;

use fixtures::FakeApi;

const STACKS: usize = 100;

/// The system allocator, counting the bytes live on the heap, so that what
/// the operator keeps between passes can be told from what the fake holds.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live_kib() -> u64 {
    (LIVE.load(Ordering::Relaxed) / 1024) as u64
}

fn stack_path(ns: &str) -> String {
    format!("/apis/imgup.dev/v1alpha1/namespaces/{ns}/imageuploadstacks/imgup")
}

/// The process' `VmHWM` or `VmRSS` (peak and current resident memory), in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn summary(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    // Nearest rank.
    let rank = (times.len() * 95).div_ceil(100).max(1);
    (mean, times[rank - 1])
}

async fn pass_all(fake: &FakeApi, ctx: &Arc<Context>) -> Vec<Duration> {
    let mut times = Vec::with_capacity(STACKS);
    for i in 0..STACKS {
        let ns = format!("stack-{i:03}");
        let stack: ImageUploadStack =
            serde_json::from_value(fake.get(&stack_path(&ns)).expect("stored")).expect("a stack");
        let started = Instant::now();
        reconcile(Arc::new(stack), ctx.clone())
            .await
            .expect("a pass against the fake succeeds");
        times.push(started.elapsed());
    }
    times
}

#[tokio::main]
async fn main() {
    let hwm_before = status_kib("VmHWM");
    let fake = FakeApi::new();
    let metrics = Metrics::register(&mut Registry::default());
    let reporter = Reporter {
        controller: "imgup-operator".into(),
        instance: None,
    };
    let ctx = Arc::new(Context::new(fake.client(), metrics, reporter));
    for i in 0..STACKS {
        let ns = format!("stack-{i:03}");
        let mut s = ImageUploadStack::new("imgup", ImageUploadStackSpec::default());
        s.metadata.namespace = Some(ns.clone());
        s.metadata.uid = Some(format!("00000000-0000-4000-8000-{i:012}"));
        s.metadata.generation = Some(1);
        // Past the pass that only adds the finalizer.
        s.metadata.finalizers = Some(vec![FINALIZER.into()]);
        fake.put(&stack_path(&ns), serde_json::to_value(&s).unwrap());
    }

    let mut first = pass_all(&fake, &ctx).await;
    fake.mark_ready();
    pass_all(&fake, &ctx).await; // Ready
    fake.take_log();
    let mut steady = pass_all(&fake, &ctx).await;
    let steady_calls = fake.take_log().len();

    let hwm_after = status_kib("VmHWM");
    let rss_after = status_kib("VmRSS");
    let objects = fake.paths().len();
    // What the operator keeps between passes (its Context: the versions it
    // last saw, the prune fingerprints, the Event recorder's cache, the
    // client) is what goes when the Context does.
    let live_with_operator = live_kib();
    drop(ctx);
    let live_fake_only = live_kib();

    let (first_mean, first_p95) = summary(&mut first);
    let (steady_mean, steady_p95) = summary(&mut steady);
    println!(
        "{STACKS} stacks, fake API server in-process (the operator's own work, no API latency)"
    );
    println!(
        "first pass  (Secret, 11 objects applied, prune lists, status): mean {:.2} ms, p95 {:.2} ms per stack",
        first_mean.as_secs_f64() * 1e3,
        first_p95.as_secs_f64() * 1e3
    );
    println!(
        "steady pass (unchanged and ready, {} reads per stack):       mean {:.2} ms, p95 {:.2} ms per stack",
        steady_calls / STACKS,
        steady_mean.as_secs_f64() * 1e3,
        steady_p95.as_secs_f64() * 1e3
    );
    println!(
        "peak RSS (VmHWM): {} before, {} after; RSS after {}",
        mib(hwm_before),
        mib(hwm_after),
        mib(rss_after)
    );
    println!(
        "live heap after the passes: {} = the operator's state between passes {} + the fake's {} objects {}",
        mib(live_with_operator),
        mib(live_with_operator.saturating_sub(live_fake_only)),
        objects,
        mib(live_fake_only)
    );
}
