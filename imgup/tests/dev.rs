//! `imgup dev` as a newcomer runs it: an empty folder, one command, no
//! database server, then the seed's flow against what it prints.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use imgup_testkit::process::{free_ports, terminate, wait_until_ready};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Ports {
    api: u16,
    auth: u16,
    s3: u16,
}

/// A running `imgup dev`, killed if the test fails half-way.
struct ImgupDev {
    child: Child,
    /// The token printed for pasting into curl.
    token: String,
}

impl ImgupDev {
    async fn start(folder: &Path, ports: &Ports) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_imgup"))
            .current_dir(folder)
            .args(["dev", "--api-port", &ports.api.to_string()])
            .args(["--auth-port", &ports.auth.to_string()])
            .args(["--s3-port", &ports.s3.to_string()])
            // Whatever the test run exports, the default is the embedded store.
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start imgup dev");
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let token = stdout
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| line.trim().strip_prefix("export TOKEN=").map(str::to_owned))
            .expect("imgup dev prints a token");
        // Keep reading, as a terminal would: a closed stdout would stop imgup dev.
        std::thread::spawn(move || stdout.for_each(drop));
        wait_until_ready(&format!("http://127.0.0.1:{}/readyz", ports.api)).await;
        wait_until_ready(&format!("http://127.0.0.1:{}/readyz", ports.auth)).await;
        Self { child, token }
    }

    async fn stop(mut self) {
        let exit = terminate(&mut self.child).await;
        assert!(exit.success(), "imgup dev stops cleanly on SIGTERM: {exit}");
    }
}

impl Drop for ImgupDev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `request` and returns its JSON body, checking the status.
async fn json_of(request: reqwest::RequestBuilder, expected: StatusCode) -> Value {
    let response = request.send().await.unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, expected, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// The bytes behind a presigned GET URL.
async fn bytes_at(url: &Value) -> Vec<u8> {
    let url = url.as_str().expect("a presigned URL");
    reqwest::get(url)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn imgup_dev_runs_the_seed_flow_from_an_empty_folder_and_keeps_it() {
    let folder = tempfile::tempdir().unwrap();
    let [api, auth, s3] = free_ports::<3>();
    let ports = Ports { api, auth, s3 };
    let api = format!("http://127.0.0.1:{api}");
    let auth = format!("http://127.0.0.1:{auth}");
    let http = reqwest::Client::new();
    let image = imgup_testkit::sample_image();

    let dev = ImgupDev::start(folder.path(), &ports).await;
    assert!(
        folder.path().join("imgup-data/imgup.db").is_file(),
        "metadata lives in ./imgup-data/imgup.db"
    );

    // The seed's flow: a development token from auth, who am I, a post, the
    // upload straight to S3, completion, the image back.
    let issued = json_of(
        http.post(format!(
            "{auth}/auth/oauth/test-token?email=new@example.com"
        )),
        StatusCode::OK,
    )
    .await;
    let token = issued["access_token"]
        .as_str()
        .expect("a development token");
    let me = json_of(
        http.get(format!("{auth}/auth/me")).bearer_auth(token),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["email"], "new@example.com");

    let post = json_of(
        http.post(format!("{api}/posts"))
            .bearer_auth(token)
            .json(&json!({ "filename": "cat.png", "contentType": "image/png", "size": image.len(), "title": "cat" })),
        StatusCode::CREATED,
    )
    .await;
    let presigned = post["presignedUrl"].as_str().expect("a presigned URL");
    assert!(
        presigned.starts_with(&format!("http://127.0.0.1:{}/", ports.s3)),
        "{presigned}"
    );
    let put = http
        .put(presigned)
        .header("content-type", "image/png")
        .body(image.clone())
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    let id = post["id"].as_i64().unwrap();
    let ready = json_of(
        http.post(format!("{api}/posts/{id}/complete"))
            .bearer_auth(token),
        StatusCode::OK,
    )
    .await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(bytes_at(&ready["url"]).await, image);

    // The printed admin token works too, and sees the new user's post.
    let everyone = json_of(
        http.get(format!("{api}/posts")).bearer_auth(&dev.token),
        StatusCode::OK,
    )
    .await;
    assert_eq!(everyone["items"][0]["id"], id);

    // Stopped and started again in the same folder: the post, the object and
    // the signing secret are all still there.
    dev.stop().await;
    let dev = ImgupDev::start(folder.path(), &ports).await;
    let again = json_of(
        http.get(format!("{api}/posts/{id}")).bearer_auth(token),
        StatusCode::OK,
    )
    .await;
    assert_eq!(again["status"], "ready");
    assert_eq!(
        bytes_at(&again["url"]).await,
        image,
        "a fresh presigned GET"
    );

    let deleted = http
        .delete(format!("{api}/posts/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    dev.stop().await;
}
