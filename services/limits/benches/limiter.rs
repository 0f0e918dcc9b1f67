//! The cost of one in-memory check: the same key over and over (a client
//! hammering one route) and a different key each time (many users).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use imgup_limits::RateLimiter;

fn limiter(c: &mut Criterion) {
    let mut group = c.benchmark_group("memory_check");
    // A high limit so that the bench measures the check, allowed or not.
    let one_key = RateLimiter::memory(1_000_000);
    group.bench_function("one_key", |b| {
        b.iter(|| black_box(one_key.check_local(black_box("user-42"))))
    });
    let keys: Vec<String> = (0..10_000).map(|i| format!("user-{i}")).collect();
    let many = RateLimiter::memory(60);
    let mut i = 0;
    group.bench_function("10k_keys", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            black_box(many.check_local(black_box(&keys[i])))
        })
    });
    group.finish();
}

criterion_group!(benches, limiter);
criterion_main!(benches);
