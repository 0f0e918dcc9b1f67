//! The Garage setup against a real `garage` server (crates.io `garage`,
//! built once into the cache by `scripts/ensure-garage.sh`, which
//! `scripts/test.sh` runs and exports as `GARAGE_BIN`): the config comes from
//! the operator's own builder (paths and ports moved to a temp dir and free
//! ports on 127.0.0.1), the setup runs twice (the second changes nothing),
//! and then the imported key PUTs and GETs an object through presigned
//! SigV4 URLs (rusty-s3, as the api signs them) in imgup's region.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use imgup_operator::garage::admin::{AdminClient, BucketKeyPerm, GarageError};
use imgup_operator::garage::objects::{ConfigParams, config_toml};
use imgup_operator::garage::setup::{Action, SetupSpec, setup, setup_with};
use imgup_operator::garage::{Credentials, DEFAULT_REGION};
use rusty_s3::{Bucket, S3Action, UrlStyle};

fn garage_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("GARAGE_BIN") {
        return Some(PathBuf::from(p));
    }
    let cache = std::env::var_os("IMGUP_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/imgup")))?;
    let bin = cache.join("garage/bin/garage");
    bin.exists().then_some(bin)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `garage server`, killed on drop; its log is kept in the temp
/// dir and printed when a step fails.
struct Garage {
    child: Child,
    command: Command,
    log: PathBuf,
    admin_url: String,
    s3_url: String,
    token: String,
    _dir: tempfile::TempDir,
}

impl Garage {
    fn start(bin: &Path, creds: &Credentials) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (rpc, s3, admin) = (free_port(), free_port(), free_port());
        let params = ConfigParams {
            metadata_dir: dir.path().join("meta").display().to_string(),
            data_dir: dir.path().join("data").display().to_string(),
            rpc_bind_addr: format!("127.0.0.1:{rpc}"),
            rpc_public_addr: Some(format!("127.0.0.1:{rpc}")),
            s3_bind_addr: format!("127.0.0.1:{s3}"),
            admin_bind_addr: format!("127.0.0.1:{admin}"),
            ..ConfigParams::default()
        };
        let cfg = dir.path().join("garage.toml");
        std::fs::write(&cfg, config_toml(&params)).unwrap();
        let log = dir.path().join("garage.log");
        let mut command = Command::new(bin);
        command
            .arg("-c")
            .arg(&cfg)
            .arg("server")
            .env("GARAGE_RPC_SECRET", &creds.rpc_secret)
            .env("GARAGE_ADMIN_TOKEN", &creds.admin_token)
            .env("RUST_LOG", "garage=info")
            .stdin(Stdio::null());
        let child = spawn(&mut command, &log);
        Self {
            child,
            command,
            log,
            admin_url: format!("http://127.0.0.1:{admin}"),
            s3_url: format!("http://127.0.0.1:{s3}"),
            token: creds.admin_token.clone(),
            _dir: dir,
        }
    }

    /// Stops the server and starts it again on the same directories (a pod
    /// restart).
    fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(&mut self.command, &self.log);
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn client(&self) -> AdminClient {
        AdminClient::new(&self.admin_url, &self.token).unwrap()
    }

    /// Waits until the admin API answers (the node id), up to 30 s.
    async fn wait_admin(&mut self) {
        let client = self.client();
        let start = Instant::now();
        loop {
            match client.node_id().await {
                Ok(_) => return,
                Err(e) => {
                    if let Some(status) = self.child.try_wait().unwrap() {
                        panic!("garage exited ({status}):\n{}", self.log());
                    }
                    if start.elapsed() > Duration::from_secs(30) {
                        panic!("the admin API never answered ({e}):\n{}", self.log());
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn spawn(command: &mut Command, log: &Path) -> Child {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    command
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", command.get_program()))
}

impl Drop for Garage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spec(creds: &Credentials) -> SetupSpec {
    SetupSpec {
        zone: "imgup".into(),
        capacity_bytes: 1 << 30,
        access_key_id: creds.access_key_id.clone(),
        secret_key: creds.secret_key.clone(),
        buckets: vec!["uploads".into(), "uploads-archive".into()],
        cors_allowed_origins: vec!["https://app.example.test".into()],
        incoming_expire_days: Some(1),
    }
}

fn presign(
    g: &Garage,
    creds: &Credentials,
    region: &str,
    bucket: &str,
    key: &str,
    put: bool,
) -> reqwest::Url {
    let bucket = Bucket::new(
        g.s3_url.parse().unwrap(),
        UrlStyle::Path,
        bucket.to_owned(),
        region.to_owned(),
    )
    .unwrap();
    let c = rusty_s3::Credentials::new(creds.access_key_id.clone(), creds.secret_key.clone());
    let ttl = Duration::from_secs(300);
    if put {
        bucket.put_object(Some(&c), key).sign(ttl)
    } else {
        bucket.get_object(Some(&c), key).sign(ttl)
    }
}

#[tokio::test]
async fn garage_setup_is_idempotent_and_the_key_reads_and_writes() {
    let Some(bin) = garage_bin() else {
        eprintln!(
            "SKIPPED: no garage binary (set GARAGE_BIN, or run scripts/ensure-garage.sh; scripts/test.sh does)"
        );
        return;
    };
    let creds = Credentials::generate();
    let mut g = Garage::start(&bin, &creds);
    g.wait_admin().await;
    let client = g.client();
    let want = spec(&creds);

    // First run: everything is created.
    let actions = setup(&g.admin_url, &g.token, &want)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}\n{}", g.log()));
    let node_id = client.node_id().await.unwrap();
    assert_eq!(
        actions,
        vec![
            Action::AssignedRole {
                node_id: node_id.clone(),
                zone: "imgup".into(),
                capacity: 1 << 30
            },
            Action::AppliedLayout { version: 1 },
            Action::ImportedKey {
                access_key_id: creds.access_key_id.clone()
            },
            Action::CreatedBucket {
                bucket: "uploads".into()
            },
            Action::AllowedKey {
                bucket: "uploads".into()
            },
            Action::SetCors {
                bucket: "uploads".into()
            },
            Action::SetLifecycle {
                bucket: "uploads".into()
            },
            Action::CreatedBucket {
                bucket: "uploads-archive".into()
            },
            Action::AllowedKey {
                bucket: "uploads-archive".into()
            },
            Action::SetCors {
                bucket: "uploads-archive".into()
            },
            Action::SetLifecycle {
                bucket: "uploads-archive".into()
            },
        ]
    );

    // What Garage now holds, read back through the API.
    let layout = client.layout().await.unwrap();
    assert_eq!(layout.version, 1);
    let role = layout
        .roles
        .iter()
        .find(|r| r.id == node_id)
        .expect("the node has a role");
    assert_eq!(
        (role.zone.as_str(), role.capacity),
        ("imgup", Some(1 << 30))
    );
    assert!(layout.staged_role_changes.is_empty());
    let key = client
        .key_info(&creds.access_key_id, true)
        .await
        .unwrap()
        .expect("the key exists");
    assert_eq!(
        key.secret_access_key.as_deref(),
        Some(creds.secret_key.as_str())
    );
    for name in &want.buckets {
        let b = client
            .bucket_by_alias(name)
            .await
            .unwrap()
            .expect("the bucket exists");
        assert_eq!(b.global_aliases, vec![name.clone()]);
        assert_eq!(b.key_permissions(&creds.access_key_id), BucketKeyPerm::ALL);
        assert!(
            key.buckets
                .iter()
                .any(|kb| kb.id == b.id && kb.permissions == BucketKeyPerm::ALL)
        );
        assert_eq!(
            b.cors_rules.unwrap()[0].allowed_origins,
            want.cors_allowed_origins
        );
        assert_eq!(b.lifecycle_rules.unwrap().len(), 1);
    }

    // Second run: nothing to do.
    let again = setup(&g.admin_url, &g.token, &want).await.unwrap();
    assert_eq!(again, Vec::<Action>::new());

    // A changed capacity (a grown volume) is staged and applied.
    let mut grown = want.clone();
    grown.capacity_bytes = 2 << 30;
    let actions = setup(&g.admin_url, &g.token, &grown).await.unwrap();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert_eq!(actions[1], Action::AppliedLayout { version: 2 });
    assert!(
        setup(&g.admin_url, &g.token, &grown)
            .await
            .unwrap()
            .is_empty()
    );

    // Another secret for the same key id is refused, not silently kept.
    let mut other = grown.clone();
    other.secret_key = Credentials::generate().secret_key;
    let err = setup_with(&client, &other, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(matches!(err, GarageError::KeySecretMismatch(_)), "{err}");

    // The credentials work for S3: presigned PUT and GET in imgup's region.
    let http = reqwest::Client::new();
    let body = b"imgup on garage".to_vec();
    let put = http
        .put(presign(
            &g,
            &creds,
            DEFAULT_REGION,
            "uploads",
            "incoming/a.txt",
            true,
        ))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert!(
        put.status().is_success(),
        "PUT: {} {}",
        put.status(),
        put.text().await.unwrap()
    );
    let get = http
        .get(presign(
            &g,
            &creds,
            DEFAULT_REGION,
            "uploads",
            "incoming/a.txt",
            false,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(get.bytes().await.unwrap().as_ref(), body.as_slice());

    // The region is part of the signature: another one is refused.
    let wrong = http
        .get(presign(
            &g,
            &creds,
            "eu-west-1",
            "uploads",
            "incoming/a.txt",
            false,
        ))
        .send()
        .await
        .unwrap();
    assert!(
        wrong.status().is_client_error(),
        "wrong region: {}",
        wrong.status()
    );

    // After a restart (a new pod on the same volume) nothing is to do, and
    // the object is still there.
    g.restart();
    g.wait_admin().await;
    assert!(
        setup(&g.admin_url, &g.token, &grown)
            .await
            .unwrap()
            .is_empty()
    );
    let get = http
        .get(presign(
            &g,
            &creds,
            DEFAULT_REGION,
            "uploads",
            "incoming/a.txt",
            false,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(get.bytes().await.unwrap().as_ref(), body.as_slice());

    // A browser's preflight from the allowed origin gets the CORS answer.
    let preflight = http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/uploads/incoming/b.png", g.s3_url),
        )
        .header("Origin", "https://app.example.test")
        .header("Access-Control-Request-Method", "PUT")
        .send()
        .await
        .unwrap();
    assert!(
        preflight.status().is_success(),
        "preflight: {}",
        preflight.status()
    );
    assert_eq!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://app.example.test")
    );
}
