//! A real OIDC issuer for sign-in tests: oauth2-mock-server under Node
//! (`oidc-server/`, installed by `npm ci --prefix services/testkit/oidc-server`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::process::free_port;

/// oauth2-mock-server on a free port; its userinfo answers with `user`
/// (a JSON object with `sub`, `email`, `email_verified`, `name`).
pub struct OidcServer {
    child: Child,
    pub url: String,
}

impl OidcServer {
    pub fn start(user: &str) -> Self {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/oidc-server");
        assert!(
            std::path::Path::new(dir)
                .join("node_modules/oauth2-mock-server")
                .is_dir(),
            "the test OIDC server is not installed: run `npm ci --prefix services/testkit/oidc-server`"
        );
        let port = free_port();
        let mut child = Command::new("node")
            .arg(format!("{dir}/server.mjs"))
            .arg(port.to_string())
            .arg(user)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start node (the OIDC test server)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines
            .next()
            .expect("the OIDC server printed nothing")
            .unwrap();
        assert_eq!(first, "ready");
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for OidcServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
