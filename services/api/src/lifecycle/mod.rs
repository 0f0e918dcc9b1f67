//! Storage lifecycle: abandoned uploads are swept away, and `imgup-api gc`
//! finds (and repairs) drift between the database and the bucket, so that no
//! object lives untracked.

mod gc;
mod sweeper;

pub use gc::{Drift, find_drift, repair};
pub use sweeper::{Swept, spawn_sweeper, sweep_once};
