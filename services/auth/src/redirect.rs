//! Where a finished sign-in may send its token: the frontend, or a loopback
//! address on any port for native apps (RFC 8252 §7.3). Nothing else, so the
//! service is no open redirect.
//!
//! What a redirect carries: a native app's one-time `code` and `state`, and
//! errors, in the query; the web frontend's tokens only in the fragment
//! ([`with_fragment`]), which browsers never send to a server, never put in a
//! `Referer` and never write to the server logs on the way.

use url::{Host, Url};

/// The frontend's callback page, the default target.
pub fn frontend_callback(frontend: &Url) -> Url {
    let mut url = frontend.clone();
    let path = format!("{}/auth/callback", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url
}

/// `Some(url)` when `candidate` is an allowed target.
pub fn allowed(candidate: &str, frontend: &Url) -> Option<Url> {
    let url = Url::parse(candidate).ok()?;
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return None;
    }
    (is_loopback(&url) || is_frontend(&url, frontend)).then_some(url)
}

/// `http://127.0.0.1:{port}/…` or `http://[::1]:{port}/…`: where a native app
/// listens (RFC 8252 §7.3). `localhost` is not one (§8.3: a name can resolve
/// elsewhere), unless it is the frontend's own origin.
pub fn is_loopback(url: &Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
            Some(Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
            _ => false,
        }
}

/// On the frontend's origin (`FRONTEND_URL`).
pub fn is_frontend(url: &Url, frontend: &Url) -> bool {
    url.origin() == frontend.origin()
}

/// A target only a native app listens on: loopback, and not the frontend
/// (which may itself run on a loopback address in development). A sign-in
/// for one must bring the app's PKCE challenge.
pub fn is_native_app(url: &Url, frontend: &Url) -> bool {
    is_loopback(url) && !is_frontend(url, frontend)
}

/// `target` with `key=value` added to its query.
pub fn with_param(mut target: Url, key: &str, value: &str) -> Url {
    target.query_pairs_mut().append_pair(key, value);
    target
}

/// `target` with `pairs` as its fragment (`#k=v&…`, form-encoded as a query
/// would be, RFC 6749 §4.2.2), for what must not reach any server.
pub fn with_fragment(mut target: Url, pairs: &[(&str, &str)]) -> Url {
    let fragment = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    target.set_fragment(Some(&fragment));
    target
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frontend() -> Url {
        Url::parse("http://localhost:5173").unwrap()
    }

    #[test]
    fn the_frontend_and_loopback_on_any_port_are_allowed() {
        for ok in [
            "http://localhost:5173/auth/callback",
            "http://localhost:5173/elsewhere?x=1",
            "http://127.0.0.1:49152/callback",
            "http://127.0.0.1/callback",
            "http://[::1]:8123/cb",
        ] {
            assert!(allowed(ok, &frontend()).is_some(), "{ok}");
        }
    }

    #[test]
    fn everything_else_is_refused() {
        for bad in [
            "https://evil.example/callback",
            "http://localhost:5174/auth/callback",
            "https://localhost:5173/auth/callback",
            "http://127.0.0.2:8000/cb",
            "https://127.0.0.1:8000/cb",
            "http://localhost.evil.example:5173/",
            "http://127.0.0.1.evil.example/cb",
            "http://user:pass@127.0.0.1:9000/cb",
            "http://127.0.0.1:9000/cb#fragment",
            "//evil.example",
            "/relative",
            "javascript:alert(1)",
            "",
        ] {
            assert!(allowed(bad, &frontend()).is_none(), "{bad}");
        }
    }

    #[test]
    fn only_loopback_targets_off_the_frontend_are_native_apps() {
        for native in ["http://127.0.0.1:49152/callback", "http://[::1]:8123/cb"] {
            assert!(
                is_native_app(&Url::parse(native).unwrap(), &frontend()),
                "{native}"
            );
        }
        for web in [
            "http://localhost:5173/auth/callback",
            "http://localhost:5173/elsewhere",
        ] {
            assert!(
                !is_native_app(&Url::parse(web).unwrap(), &frontend()),
                "{web}"
            );
        }
        // A frontend served from a loopback address in development is still
        // the frontend; another port there is an app.
        let local = Url::parse("http://127.0.0.1:5173").unwrap();
        let page = Url::parse("http://127.0.0.1:5173/auth/callback").unwrap();
        assert!(!is_native_app(&page, &local));
        let app = Url::parse("http://127.0.0.1:5174/cb").unwrap();
        assert!(is_native_app(&app, &local));
    }

    #[test]
    fn fragments_are_form_encoded_and_leave_the_query_alone() {
        let target = Url::parse("http://localhost:5173/auth/callback?state=s").unwrap();
        let url = with_fragment(target, &[("access_token", "a.b-c_d"), ("x", "1 &=#")]);
        assert_eq!(url.query(), Some("state=s"));
        assert_eq!(url.fragment(), Some("access_token=a.b-c_d&x=1+%26%3D%23"));
        let pairs: Vec<_> = url::form_urlencoded::parse(url.fragment().unwrap().as_bytes())
            .into_owned()
            .collect();
        assert_eq!(pairs[1], ("x".to_owned(), "1 &=#".to_owned()));
    }

    #[test]
    fn the_default_target_is_the_frontend_callback() {
        assert_eq!(
            frontend_callback(&frontend()).as_str(),
            "http://localhost:5173/auth/callback"
        );
        let with_path = Url::parse("https://app.example/admin/").unwrap();
        assert_eq!(
            frontend_callback(&with_path).as_str(),
            "https://app.example/admin/auth/callback"
        );
    }
}
