//! What one account may use: quotas on what it stores, and how fast it may
//! start uploads.

mod quota;
mod rate;

pub use quota::{Quota, QuotaSettings, Usage};
pub use rate::{RateLimitSettings, UploadRate};
