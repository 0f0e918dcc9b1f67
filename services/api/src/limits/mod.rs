//! What one account may use: quotas on what it stores (rate limits will join
//! them here).

mod quota;

pub use quota::{Quota, QuotaSettings, Usage};
