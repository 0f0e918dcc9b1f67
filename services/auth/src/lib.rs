//! The auth service: signs people in with Google, GitHub or any OIDC provider
//! (authorization code + PKCE), keeps them in Postgres, and issues the JWTs
//! that `imgup-api` verifies.

pub mod config;
pub mod error;
pub mod flow;
pub mod providers;
pub mod rate;
pub mod redirect;
pub mod refresh;
pub mod routes;
pub mod sessions;
pub mod startup;
pub mod state;
pub mod users;

pub use config::Config;
pub use routes::router;
pub use state::AppState;
