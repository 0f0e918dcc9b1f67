//! The token format both services agree on: the claims, how they are signed and
//! how they are checked. `imgup-auth` signs, `imgup-api` verifies.

mod algorithm;
mod bearer;
mod cache;
mod claims;
mod settings;
mod signer;
mod verifier;

pub use algorithm::SigningAlgorithm;
pub use bearer::bearer_token;
pub use cache::CachedVerifier;
pub use claims::{Claims, Role};
pub use settings::{JwtSettings, MIN_SECRET_BYTES, SettingsError};
pub use signer::{JwtSigner, TokenSubject};
pub use verifier::{JwtVerifier, VerifyError};
