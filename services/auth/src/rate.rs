//! Requests a minute per client address on the routes that anyone can call
//! without a token and that cost us work: the sign-in start, the code trade,
//! refresh and the test token.
//!
//! The address is the socket's peer (`ConnectInfo<SocketAddr>`, which
//! `imgup_telemetry::serve` puts on every request) unless
//! `TRUSTED_PROXY_HEADER` names the header a proxy in front of the service
//! sets; a forwarded header is never believed otherwise, so a client cannot
//! pick its own key. IPv6 clients are counted by /64, the block one host
//! usually holds.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use http::HeaderName;
use http::request::Parts;
use imgup_limits::{Decision, RateLimiter};

use crate::error::AuthError;
use crate::state::AppState;

#[derive(Clone, clap::Args)]
pub struct RateLimitSettings {
    /// Requests one client address may make a minute to the sign-in start,
    /// code trade, refresh and test-token routes, all four together (0: off).
    #[arg(
        long = "rate-limit-ip-per-minute",
        env = "RATE_LIMIT_IP_PER_MINUTE",
        value_name = "RATE_LIMIT_IP_PER_MINUTE",
        default_value_t = 30
    )]
    pub ip_per_minute: u32,
    /// The header a trusted reverse proxy puts the client's address in
    /// (`x-forwarded-for`: its right-most address; `x-real-ip`); unset: the
    /// socket's peer address, and forwarded headers are ignored.
    #[arg(
        long = "trusted-proxy-header",
        env = "TRUSTED_PROXY_HEADER",
        value_name = "TRUSTED_PROXY_HEADER"
    )]
    pub trusted_proxy_header: Option<HeaderName>,
    /// Redis that holds the counters, shared by every replica (default: each
    /// replica counts in memory). Unreachable: each replica limits on its own.
    #[arg(
        long = "redis-url",
        env = "REDIS_URL",
        value_name = "REDIS_URL",
        hide_env_values = true
    )]
    pub redis_url: Option<String>,
    /// Start of the auth service's keys in Redis.
    #[arg(
        long = "rate-limit-redis-prefix",
        env = "RATE_LIMIT_REDIS_PREFIX",
        value_name = "RATE_LIMIT_REDIS_PREFIX",
        default_value = "imgup:auth:rate:"
    )]
    pub redis_prefix: String,
}

impl std::fmt::Debug for RateLimitSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimitSettings")
            .field("ip_per_minute", &self.ip_per_minute)
            .field("trusted_proxy_header", &self.trusted_proxy_header)
            .field("redis_url", &self.redis_url.as_ref().map(|_| "<redacted>"))
            .field("redis_prefix", &self.redis_prefix)
            .finish()
    }
}

/// The per-address limit.
pub struct IpRate {
    limiter: RateLimiter,
    trusted_header: Option<HeaderName>,
}

impl IpRate {
    /// Must be called inside a Tokio runtime when `REDIS_URL` is set.
    pub fn new(settings: &RateLimitSettings) -> Result<Self, imgup_limits::Error> {
        Ok(Self {
            limiter: RateLimiter::new(
                settings.ip_per_minute,
                settings.redis_url.as_deref(),
                &settings.redis_prefix,
            )?,
            trusted_header: settings.trusted_proxy_header.clone(),
        })
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    /// The key a request is counted under.
    pub fn client_key(&self, parts: &Parts) -> String {
        let forwarded = self
            .trusted_header
            .as_ref()
            .and_then(|name| forwarded_address(parts, name));
        let peer = || {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip())
        };
        match forwarded.or_else(peer) {
            Some(ip) => key_of(ip),
            // Served without peer addresses (a test's bare `axum::serve`):
            // every such request shares one count.
            None => "unknown".to_owned(),
        }
    }

    pub async fn admit(&self, parts: &Parts) -> Result<(), AuthError> {
        if self.limiter.per_minute() == 0 {
            return Ok(());
        }
        match self.limiter.check(&self.client_key(parts)).await {
            Decision::Allowed => Ok(()),
            Decision::Limited { retry_after_secs } => Err(AuthError::RateLimited {
                retry_after: retry_after_secs,
            }),
        }
    }
}

/// The right-most address of the last `name` header: the one our proxy
/// appended (anything left of it the client may have written).
fn forwarded_address(parts: &Parts, name: &HeaderName) -> Option<IpAddr> {
    let value = parts.headers.get_all(name).iter().next_back()?;
    let last = value.to_str().ok()?.rsplit(',').next()?.trim();
    last.parse::<IpAddr>()
        .ok()
        .or_else(|| last.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
}

fn key_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{}/64", Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        },
    }
}

/// Counts the request against its client address before the handler runs;
/// put it first among a handler's arguments.
pub struct RateLimited;

impl FromRequestParts<AppState> for RateLimited {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthError> {
        state.ip_rate.admit(parts).await?;
        Ok(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)], peer: Option<&str>) -> Parts {
        let mut request = http::Request::builder();
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        if let Some(peer) = peer {
            parts
                .extensions
                .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        }
        parts
    }

    fn rate(header: Option<&str>) -> IpRate {
        IpRate {
            limiter: RateLimiter::memory(1),
            trusted_header: header.map(|h| h.parse().unwrap()),
        }
    }

    #[test]
    fn the_socket_decides_unless_a_proxy_is_trusted() {
        let spoofed = parts(&[("x-forwarded-for", "6.6.6.6")], Some("10.0.0.1:5000"));
        assert_eq!(rate(None).client_key(&spoofed), "10.0.0.1");
        assert_eq!(
            rate(Some("x-forwarded-for")).client_key(&spoofed),
            "6.6.6.6"
        );
    }

    #[test]
    fn the_right_most_forwarded_address_is_the_proxy_s_word() {
        let request = parts(
            &[
                ("x-forwarded-for", "1.1.1.1, 2.2.2.2"),
                ("x-forwarded-for", "3.3.3.3, 4.4.4.4"),
            ],
            Some("10.0.0.1:5000"),
        );
        assert_eq!(
            rate(Some("x-forwarded-for")).client_key(&request),
            "4.4.4.4"
        );
        let real_ip = parts(&[("x-real-ip", "5.5.5.5")], Some("10.0.0.1:5000"));
        assert_eq!(rate(Some("x-real-ip")).client_key(&real_ip), "5.5.5.5");
        // A garbled header falls back to the socket.
        let garbled = parts(&[("x-real-ip", "not an address")], Some("10.0.0.1:5000"));
        assert_eq!(rate(Some("x-real-ip")).client_key(&garbled), "10.0.0.1");
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a = parts(&[], Some("[2001:db8:1:2:aaaa::1]:5000"));
        let b = parts(&[], Some("[2001:db8:1:2:bbbb::2]:5000"));
        assert_eq!(rate(None).client_key(&a), "2001:db8:1:2::/64");
        assert_eq!(rate(None).client_key(&a), rate(None).client_key(&b));
        let mapped = parts(&[], Some("[::ffff:192.0.2.7]:5000"));
        assert_eq!(rate(None).client_key(&mapped), "192.0.2.7");
        assert_eq!(rate(None).client_key(&parts(&[], None)), "unknown");
    }
}
