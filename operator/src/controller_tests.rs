//! Reconcile tests against the fake API server (`fixtures.rs`): each test
//! asserts the exact API calls a pass sends.

use std::sync::Arc;

use kube::runtime::controller::Action;
use kube::runtime::events::Reporter;
use prometheus_client::registry::Registry;
use serde_json::{Value, json};

use super::*;
use crate::crd::{ImageUploadStackSpec, SecretKeyRef};
use crate::fixtures::FakeApi;
use crate::resources::{CONFIG_HASH_ANNOTATION, buckets};

const STACK: &str = "/apis/imgup.dev/v1alpha1/namespaces/imgup/imageuploadstacks/demo";
const SECRETS: &str = "/api/v1/namespaces/imgup/secrets";
const GENERATED: &str = "/api/v1/namespaces/imgup/secrets/demo-generated";
const CM: &str = "/api/v1/namespaces/imgup/configmaps";
const SVC: &str = "/api/v1/namespaces/imgup/services";
const STS: &str = "/apis/apps/v1/namespaces/imgup/statefulsets";
const DEPLOY: &str = "/apis/apps/v1/namespaces/imgup/deployments";
const JOBS: &str = "/apis/batch/v1/namespaces/imgup/jobs";
const EVENTS: &str = "POST /apis/events.k8s.io/v1/namespaces/imgup/events";
const PVCS: &str = "/api/v1/namespaces/imgup/persistentvolumeclaims";
const HPA: &str = "/apis/autoscaling/v2/namespaces/imgup/horizontalpodautoscalers";
const PDB: &str = "/apis/policy/v1/namespaces/imgup/poddisruptionbudgets";
const ING: &str = "/apis/networking.k8s.io/v1/namespaces/imgup/ingresses";
/// Asked when a component is not ready: what its pods say.
const PODS: &str = "LIST /api/v1/namespaces/imgup/pods?labelSelector=app.kubernetes.io/instance=demo,app.kubernetes.io/managed-by=imgup-operator";
const SELECTOR: &str =
    "app.kubernetes.io/instance=demo,app.kubernetes.io/managed-by=imgup-operator";

fn context(fake: &FakeApi) -> Arc<Context> {
    let metrics = Metrics::register(&mut Registry::default());
    let reporter = Reporter {
        controller: "imgup-operator".into(),
        instance: None,
    };
    Arc::new(Context::new(fake.client(), metrics, reporter))
}

/// Stores a stack in the fake cluster, as `kubectl apply` would have.
fn store_stack(fake: &FakeApi, spec: ImageUploadStackSpec, finalized: bool) {
    let mut s = ImageUploadStack::new("demo", spec);
    s.metadata.namespace = Some("imgup".into());
    s.metadata.uid = Some("0c6e4f1a-0000-4000-8000-000000000001".into());
    s.metadata.generation = Some(1);
    if finalized {
        s.metadata.finalizers = Some(vec![FINALIZER.into()]);
    }
    fake.put(STACK, serde_json::to_value(&s).unwrap());
}

/// The stack as the fake cluster holds it now (what the watch would hand over).
fn current(fake: &FakeApi) -> ImageUploadStack {
    serde_json::from_value(fake.get(STACK).expect("stack stored")).unwrap()
}

async fn pass(fake: &FakeApi, ctx: &Arc<Context>) -> Result<Action, Error> {
    // On the heap: a debug build's reconcile future is large, and a test
    // that awaits many passes would otherwise overflow the test thread's
    // stack (the controller's runtime spawns it as a task, on the heap too).
    Box::pin(reconcile(Arc::new(current(fake)), ctx.clone())).await
}

fn job_name(fake: &FakeApi) -> String {
    buckets::job(&current(fake)).metadata.name.unwrap()
}

/// Every object path of a default stack, in apply order.
fn object_paths(job: &str) -> Vec<String> {
    vec![
        format!("{CM}/demo-api-config"),
        format!("{CM}/demo-auth-config"),
        format!("{SVC}/demo-postgres"),
        format!("{STS}/demo-postgres"),
        format!("{SVC}/demo-minio"),
        format!("{STS}/demo-minio"),
        format!("{JOBS}/{job}"),
        format!("{DEPLOY}/demo-api"),
        format!("{SVC}/demo-api"),
        format!("{DEPLOY}/demo-auth"),
        format!("{SVC}/demo-auth"),
    ]
}

/// The lists of one prune: every kind a stack has only under some specs.
fn prune_lists() -> Vec<String> {
    [SVC, STS, HPA, PDB, ING]
        .iter()
        .map(|c| format!("LIST {c}?labelSelector={SELECTOR}"))
        .collect()
}

fn condition(fake: &FakeApi, type_: &str) -> Value {
    let stack = fake.get(STACK).unwrap();
    stack["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == type_).cloned())
        .unwrap_or(Value::Null)
}

fn generated_data(fake: &FakeApi) -> Value {
    fake.get(GENERATED).unwrap()["data"].clone()
}

#[tokio::test]
async fn a_new_stack_first_gets_the_finalizer_and_nothing_else() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), false);
    let action = pass(&fake, &context(&fake)).await.unwrap();
    assert_eq!(action, Action::await_change());
    assert_eq!(fake.take_log(), vec![format!("PATCH[json] {STACK}")]);
    assert_eq!(
        fake.get(STACK).unwrap()["metadata"]["finalizers"],
        json!([FINALIZER])
    );
}

#[tokio::test]
async fn first_pass_creates_secret_applies_everything_and_reports_progress() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    let action = pass(&fake, &ctx).await.unwrap();
    assert_eq!(action, Action::requeue(REQUEUE_PROGRESSING));

    let job = job_name(&fake);
    let mut want = vec![
        format!("GET {GENERATED}"),
        format!("POST {SECRETS}"),
        EVENTS.into(),
    ];
    for p in object_paths(&job) {
        want.push(format!("GET {p}"));
        want.push(format!("PATCH[apply] {p}"));
    }
    want.push(format!(
        "LIST {JOBS}?labelSelector={SELECTOR},app.kubernetes.io/component=buckets"
    ));
    want.extend(prune_lists()); // first sight since start-up
    want.push(EVENTS.into()); // Applied …
    want.push(PODS.into());
    want.push(format!("PATCH[apply] {STACK}/status"));
    want.push(EVENTS.into()); // Ready=False ComponentsNotReady
    assert_eq!(fake.take_log(), want);

    // Owner references on every applied object; the generated Secret has none.
    for p in object_paths(&job) {
        let o = fake.get(&p).unwrap();
        assert_eq!(o["metadata"]["ownerReferences"][0]["name"], "demo", "{p}");
        assert_eq!(
            o["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "imgup-operator"
        );
    }
    assert_eq!(
        fake.get(GENERATED).unwrap()["metadata"].get("ownerReferences"),
        None
    );

    let ready = condition(&fake, "Ready");
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "ComponentsNotReady");
    assert_eq!(condition(&fake, "ApiReady")["reason"], "Progressing");
    let status = &fake.get(STACK).unwrap()["status"];
    assert_eq!(status["observedGeneration"], 1);
    assert_eq!(status["endpoints"]["api"], "http://demo-api.imgup.svc:8080");
    assert_eq!(status["conditions"].as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn second_pass_of_an_unchanged_stack_sends_no_writes() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    fake.take_log();
    let secret_before = generated_data(&fake);

    pass(&fake, &ctx).await.unwrap();
    let mut want = vec![format!("GET {GENERATED}")];
    want.extend(
        object_paths(&job_name(&fake))
            .iter()
            .map(|p| format!("GET {p}")),
    );
    // Nothing to prune either: the objects it wants are the ones it
    // pruned for, so no LIST and no DELETE.
    want.push(PODS.into());
    assert_eq!(fake.take_log(), want);
    assert_eq!(generated_data(&fake), secret_before, "secret regenerated");
}

#[tokio::test]
async fn ready_components_give_ready_true_with_one_status_patch() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    fake.mark_ready();
    fake.take_log();

    let action = pass(&fake, &ctx).await.unwrap();
    assert_eq!(action, Action::requeue(REQUEUE_READY));
    let log = fake.take_log();
    let writes: Vec<_> = log.iter().filter(|l| !l.starts_with("GET ")).collect();
    assert_eq!(
        writes,
        vec![&format!("PATCH[apply] {STACK}/status"), &EVENTS.to_string()]
    );
    let ready = condition(&fake, "Ready");
    assert_eq!(ready["status"], "True");
    assert_eq!(ready["reason"], "AllComponentsReady");
    for t in [
        "DatabaseReady",
        "StorageReady",
        "BucketsReady",
        "ApiReady",
        "AuthReady",
    ] {
        assert_eq!(condition(&fake, t)["status"], "True", "{t}");
    }

    // And once ready, a further pass is reads only.
    pass(&fake, &ctx).await.unwrap();
    assert!(fake.take_log().iter().all(|l| l.starts_with("GET ")));
}

#[tokio::test]
async fn an_existing_generated_secret_is_never_regenerated_and_feeds_the_hash() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let existing = secrets::generated_secret(
        &current(&fake),
        secrets::GENERATED_KEYS
            .iter()
            .map(|k| (k.to_string(), format!("kept-{k}")))
            .collect(),
    );
    fake.put(GENERATED, serde_json::to_value(&existing).unwrap());
    let before = generated_data(&fake);

    pass(&fake, &context(&fake)).await.unwrap();
    let log = fake.take_log();
    assert!(
        !log.iter()
            .any(|l| l.contains("/secrets") && !l.starts_with("GET ")),
        "wrote a secret: {log:?}"
    );
    assert_eq!(generated_data(&fake), before);

    // The Deployments carry the hash of exactly these secret values.
    let mut inputs = Inputs::default();
    inputs
        .secrets
        .insert("demo-generated".into(), secret_data(&existing));
    let expected = resources::api::deployment(&current(&fake), &inputs);
    let expected_hash = expected
        .spec
        .unwrap()
        .template
        .metadata
        .unwrap()
        .annotations
        .unwrap()[CONFIG_HASH_ANNOTATION]
        .clone();
    let api = fake.get(&format!("{DEPLOY}/demo-api")).unwrap();
    assert_eq!(
        api["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH_ANNOTATION],
        json!(expected_hash)
    );
}

#[tokio::test]
async fn a_missing_generated_key_is_added_without_touching_the_others() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    let mut secret = fake.get(GENERATED).unwrap();
    secret["data"]
        .as_object_mut()
        .unwrap()
        .remove("session-secret");
    let kept = secret["data"].clone();
    fake.put(GENERATED, secret);
    fake.take_log();

    pass(&fake, &ctx).await.unwrap();
    let log = fake.take_log();
    assert_eq!(
        log[..3],
        [
            format!("GET {GENERATED}"),
            format!("PATCH[merge] {GENERATED}"),
            EVENTS.to_string()
        ]
    );
    let data = generated_data(&fake);
    for (k, v) in kept.as_object().unwrap() {
        assert_eq!(&data[k], v, "{k} changed");
    }
    assert!(data["session-secret"].is_string());
    // Only auth reads the session secret: only auth rolls.
    let applied: Vec<_> = log
        .iter()
        .filter(|l| l.starts_with("PATCH[apply]") && !l.ends_with("/status"))
        .collect();
    assert_eq!(applied, vec![&format!("PATCH[apply] {DEPLOY}/demo-auth")]);
}

#[tokio::test]
async fn changed_secret_content_rolls_only_the_deployments_that_read_it() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    let mut secret = fake.get(GENERATED).unwrap();
    secret["data"]["minio-root-password"] = json!("bmV3LXBhc3N3b3Jk");
    fake.put(GENERATED, secret);
    fake.take_log();

    pass(&fake, &ctx).await.unwrap();
    let applied: Vec<_> = fake
        .take_log()
        .into_iter()
        .filter(|l| l.starts_with("PATCH[apply]") && !l.ends_with("/status"))
        .collect();
    // MinIO reads MINIO_ROOT_PASSWORD and the API S3_SECRET_KEY; auth and
    // Postgres read neither.
    assert_eq!(
        applied,
        vec![
            format!("PATCH[apply] {STS}/demo-minio"),
            format!("PATCH[apply] {DEPLOY}/demo-api"),
        ]
    );
}

fn template_hash(fake: &FakeApi, path: &str) -> Value {
    fake.get(path).unwrap()["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH_ANNOTATION]
        .clone()
}

#[tokio::test]
async fn rotating_the_credentials_of_minio_or_postgres_rolls_them_too() {
    let fake = FakeApi::new();
    let mut spec = ImageUploadStackSpec::default();
    spec.storage.minio = Some(crate::crd::MinioSpec {
        credentials_secret: Some("minio-creds".into()),
        ..crate::crd::MinioSpec::default()
    });
    spec.database.postgres = Some(crate::crd::PostgresSpec {
        password_secret_ref: Some(SecretKeyRef {
            name: "pg".into(),
            key: "password".into(),
        }),
        ..crate::crd::PostgresSpec::default()
    });
    store_stack(&fake, spec, true);
    let minio_creds = |password: &str| {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "minio-creds", "namespace": "imgup"},
               "data": {"root-user": "YWRtaW4=", "root-password": password}})
    };
    let pg = |password: &str| {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pg", "namespace": "imgup"},
               "data": {"password": password}})
    };
    fake.put(
        &format!("{SECRETS}/minio-creds"),
        minio_creds("b2xkLW1pbmlv"),
    );
    fake.put(&format!("{SECRETS}/pg"), pg("b2xkLXBn"));
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    let minio = format!("{STS}/demo-minio");
    let postgres = format!("{STS}/demo-postgres");
    let (minio_before, postgres_before) = (
        template_hash(&fake, &minio),
        template_hash(&fake, &postgres),
    );
    assert!(minio_before.is_string(), "MinIO's pods carry the hash");
    assert!(postgres_before.is_string(), "Postgres' pods carry the hash");
    fake.take_log();

    // The user rotates MinIO's root password in their Secret.
    fake.put(
        &format!("{SECRETS}/minio-creds"),
        minio_creds("bmV3LW1pbmlv"),
    );
    pass(&fake, &ctx).await.unwrap();
    let applied: Vec<_> = fake
        .take_log()
        .into_iter()
        .filter(|l| l.starts_with("PATCH[apply]") && !l.ends_with("/status"))
        .collect();
    assert_eq!(
        applied,
        vec![
            format!("PATCH[apply] {minio}"),
            format!("PATCH[apply] {DEPLOY}/demo-api")
        ]
    );
    assert_ne!(template_hash(&fake, &minio), minio_before, "MinIO rolls");
    assert_eq!(template_hash(&fake, &postgres), postgres_before);

    // And Postgres' password: Postgres, and both services that connect to it.
    fake.put(&format!("{SECRETS}/pg"), pg("bmV3LXBn"));
    pass(&fake, &ctx).await.unwrap();
    let applied: Vec<_> = fake
        .take_log()
        .into_iter()
        .filter(|l| l.starts_with("PATCH[apply]") && !l.ends_with("/status"))
        .collect();
    assert_eq!(
        applied,
        vec![
            format!("PATCH[apply] {postgres}"),
            format!("PATCH[apply] {DEPLOY}/demo-api"),
            format!("PATCH[apply] {DEPLOY}/demo-auth"),
        ]
    );
    assert_ne!(
        template_hash(&fake, &postgres),
        postgres_before,
        "Postgres rolls"
    );
}

#[tokio::test]
async fn a_spec_change_reapplies_only_what_it_changes_and_replaces_the_bucket_job() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    let old_job = job_name(&fake);
    let mut stack = fake.get(STACK).unwrap();
    stack["spec"]["buckets"] = json!({"uploads": "photos"});
    stack["metadata"]["generation"] = json!(2);
    fake.put(STACK, stack);
    fake.take_log();

    pass(&fake, &ctx).await.unwrap();
    let new_job = job_name(&fake);
    assert_ne!(old_job, new_job);
    let writes: Vec<_> = fake
        .take_log()
        .into_iter()
        .filter(|l| !l.starts_with("GET "))
        // A second "Applied" event is folded into the first one's series.
        .map(|l| {
            if l.starts_with("PATCH[merge] /apis/events.k8s.io/v1/namespaces/imgup/events/demo.") {
                "event series".to_string()
            } else {
                l
            }
        })
        .collect();
    assert_eq!(
        writes,
        vec![
            format!("PATCH[apply] {CM}/demo-api-config"),
            format!("PATCH[apply] {JOBS}/{new_job}"),
            format!("PATCH[apply] {DEPLOY}/demo-api"),
            format!("LIST {JOBS}?labelSelector={SELECTOR},app.kubernetes.io/component=buckets"),
            format!("DELETE {JOBS}/{old_job}"),
            "event series".to_string(),
            PODS.to_string(),
            format!("PATCH[apply] {STACK}/status"),
        ]
    );
    assert_eq!(condition(&fake, "Ready")["observedGeneration"], 2);
    assert!(fake.get(&format!("{JOBS}/{old_job}")).is_none());
    assert_eq!(
        fake.get(&format!("{CM}/demo-api-config")).unwrap()["data"]["S3_BUCKET"],
        "photos"
    );
}

#[tokio::test]
async fn an_image_policy_change_reapplies_only_the_api_config_and_rolls_the_api() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    let job = job_name(&fake);
    let api_config = format!("{CM}/demo-api-config");
    let hash = |fake: &FakeApi| {
        fake.get(&format!("{DEPLOY}/demo-api")).unwrap()["spec"]["template"]["metadata"]
            ["annotations"][CONFIG_HASH_ANNOTATION]
            .clone()
    };
    let before = hash(&fake);
    assert_eq!(
        fake.get(&api_config).unwrap()["data"].get("IMAGE_VARIANTS"),
        None,
        "unset settings are left to the api"
    );
    let mut stack = fake.get(STACK).unwrap();
    stack["spec"]["policy"]["imageVariants"] = json!([
        {"name": "thumb", "longSide": 320},
        {"name": "medium", "longSide": 1280},
    ]);
    stack["spec"]["policy"]["variantFormat"] = json!("jpeg");
    stack["spec"]["policy"]["pendingUploadTtlSeconds"] = json!(0);
    stack["metadata"]["generation"] = json!(2);
    fake.put(STACK, stack);
    fake.take_log();

    pass(&fake, &ctx).await.unwrap();
    assert_eq!(
        job_name(&fake),
        job,
        "the bucket job does not read the policy"
    );
    let applied: Vec<_> = fake
        .take_log()
        .into_iter()
        .filter(|l| l.starts_with("PATCH[apply]") && !l.ends_with("/status"))
        .collect();
    assert_eq!(
        applied,
        vec![
            format!("PATCH[apply] {api_config}"),
            format!("PATCH[apply] {DEPLOY}/demo-api"),
        ]
    );
    let data = &fake.get(&api_config).unwrap()["data"];
    assert_eq!(data["IMAGE_VARIANTS"], "thumb=320,medium=1280");
    assert_eq!(data["VARIANT_FORMAT"], "jpeg");
    assert_eq!(data["PENDING_UPLOAD_TTL_SECONDS"], "0");
    assert_eq!(data.get("IMAGE_WORKERS"), None);
    assert_eq!(data.get("MAX_IMAGE_PIXELS"), None);
    assert_ne!(hash(&fake), before, "the api pods roll");
}

#[tokio::test]
async fn a_bad_spec_becomes_a_condition_and_applies_nothing() {
    let fake = FakeApi::new();
    let mut spec = ImageUploadStackSpec::default();
    spec.buckets.uploads = "Not_A_Bucket".into();
    store_stack(&fake, spec, true);
    let ctx = context(&fake);
    let action = pass(&fake, &ctx).await.unwrap();
    assert_eq!(
        action,
        Action::await_change(),
        "no crash loop, wait for a fix"
    );
    assert_eq!(
        fake.take_log(),
        vec![format!("PATCH[apply] {STACK}/status"), EVENTS.to_string()]
    );
    let ready = condition(&fake, "Ready");
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "InvalidSpec");
    assert!(ready["message"].as_str().unwrap().contains("Not_A_Bucket"));

    // Re-running on the same bad spec changes nothing.
    pass(&fake, &ctx).await.unwrap();
    assert_eq!(fake.take_log(), Vec::<String>::new());
}

#[tokio::test]
async fn a_missing_user_secret_is_reported_not_crashed_on() {
    let fake = FakeApi::new();
    let mut spec = ImageUploadStackSpec::default();
    spec.auth.jwt_secret_ref = Some(SecretKeyRef {
        name: "my-jwt".into(),
        key: "secret".into(),
    });
    store_stack(&fake, spec, true);
    let ctx = context(&fake);
    let action = pass(&fake, &ctx).await.unwrap();
    assert_eq!(action, Action::requeue(REQUEUE_MISSING_SECRET));
    let log = fake.take_log();
    assert_eq!(log[3], format!("GET {SECRETS}/my-jwt"));
    assert_eq!(log[4], format!("PATCH[apply] {STACK}/status"));
    assert_eq!(log.len(), 6);
    let ready = condition(&fake, "Ready");
    assert_eq!(ready["reason"], "SecretNotFound");
    assert_eq!(ready["message"], "missing Secret keys: my-jwt/secret");

    // Once the Secret exists, the stack proceeds and uses it.
    fake.put(
        &format!("{SECRETS}/my-jwt"),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "my-jwt", "namespace": "imgup"},
               "data": {"secret": "c2VjcmV0LXRoYXQtaXMtbG9uZy1lbm91Z2gtZm9yLWp3dHM="}}),
    );
    pass(&fake, &ctx).await.unwrap();
    let api = fake.get(&format!("{DEPLOY}/demo-api")).unwrap();
    let jwt = api["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "JWT_SECRET")
        .unwrap()
        .clone();
    assert_eq!(jwt["valueFrom"]["secretKeyRef"]["name"], "my-jwt");
}

#[tokio::test]
async fn an_object_the_api_server_rejects_becomes_a_condition_and_the_rest_is_applied() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let sts = format!("PATCH[apply] {STS}/demo-postgres");
    fake.fail_next(
        &sts,
        422,
        "spec: Forbidden: updates to statefulset spec are forbidden",
    );
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    let log = fake.take_log();
    assert!(log.contains(&sts));
    assert_eq!(
        log[log.len() - 2..],
        [format!("PATCH[apply] {STACK}/status"), EVENTS.to_string()]
    );
    // Every other object is still applied.
    let job = job_name(&fake);
    for p in object_paths(&job) {
        if p != format!("{STS}/demo-postgres") {
            assert!(fake.get(&p).is_some(), "{p} was held up");
        }
    }
    let ready = condition(&fake, "Ready");
    assert_eq!(ready["reason"], "Rejected");
    assert!(
        ready["message"]
            .as_str()
            .unwrap()
            .starts_with("StatefulSet/demo-postgres rejected")
    );
}

#[tokio::test]
async fn api_errors_are_retried_with_growing_backoff() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    let stack = Arc::new(current(&fake));
    let mut delays = Vec::new();
    for _ in 0..3 {
        fake.fail_next(&format!("GET {GENERATED}"), 500, "etcd timeout");
        let err = reconcile(stack.clone(), ctx.clone()).await.unwrap_err();
        assert_eq!(err.metric_label(), "api_500");
        delays.push(error_policy(stack.clone(), &err, ctx.clone()));
    }
    assert_eq!(
        delays,
        [5, 10, 20].map(|s| Action::requeue(Duration::from_secs(s)))
    );
    // Success resets the backoff.
    reconcile(stack.clone(), ctx.clone()).await.unwrap();
    fake.fail_next(&format!("GET {GENERATED}"), 500, "again");
    let err = reconcile(stack.clone(), ctx.clone()).await.unwrap_err();
    assert_eq!(
        error_policy(stack, &err, ctx.clone()),
        Action::requeue(Duration::from_secs(5))
    );
    let errors = ctx
        .metrics
        .errors
        .get_or_create(&crate::metrics::ErrorLabel {
            error: "api_500".into(),
        })
        .get();
    assert_eq!(errors, 4);
    assert_eq!(backoff(40), Duration::from_secs(300), "capped at 5 minutes");
}

fn store_deleting_stack(fake: &FakeApi, retention: RetentionPolicy) {
    store_stack(
        fake,
        ImageUploadStackSpec {
            retention,
            ..ImageUploadStackSpec::default()
        },
        true,
    );
    let mut s = fake.get(STACK).unwrap();
    s["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
    fake.put(STACK, s);
}

fn store_pvc(fake: &FakeApi, name: &str, instance: &str) {
    fake.put(
        &format!("{PVCS}/{name}"),
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": name, "namespace": "imgup", "labels": {
                   "app.kubernetes.io/instance": instance,
                   "app.kubernetes.io/managed-by": "imgup-operator"}}}),
    );
}

#[tokio::test]
async fn deletion_with_retain_keeps_volumes_and_secret_then_drops_the_finalizer() {
    let fake = FakeApi::new();
    store_deleting_stack(&fake, RetentionPolicy::Retain);
    store_pvc(&fake, "data-demo-postgres-0", "demo");
    fake.put(
        GENERATED,
        json!({"metadata": {"name": "demo-generated"}, "data": {}}),
    );
    pass(&fake, &context(&fake)).await.unwrap();
    assert_eq!(
        fake.take_log(),
        vec![EVENTS.to_string(), format!("PATCH[json] {STACK}")]
    );
    assert!(fake.get(&format!("{PVCS}/data-demo-postgres-0")).is_some());
    assert!(fake.get(GENERATED).is_some());
    assert_eq!(
        fake.get(STACK).unwrap()["metadata"]["finalizers"],
        json!([])
    );
}

#[tokio::test]
async fn deletion_with_delete_removes_this_stacks_volumes_and_secret_only() {
    let fake = FakeApi::new();
    store_deleting_stack(&fake, RetentionPolicy::Delete);
    store_pvc(&fake, "data-demo-postgres-0", "demo");
    store_pvc(&fake, "data-demo-minio-0", "demo");
    store_pvc(&fake, "data-other-postgres-0", "other");
    fake.put(
        GENERATED,
        json!({"metadata": {"name": "demo-generated"}, "data": {}}),
    );
    let ctx = context(&fake);
    ctx.seen_versions
        .lock()
        .unwrap()
        .insert("Deployment/imgup/demo-api".into(), "g1".into());
    pass(&fake, &ctx).await.unwrap();
    assert!(
        ctx.seen_versions.lock().unwrap().is_empty(),
        "memory of a deleted stack kept"
    );
    assert_eq!(
        fake.take_log(),
        vec![
            format!("DELETECOLLECTION {PVCS}?labelSelector={SELECTOR}"),
            format!("DELETE {GENERATED}"),
            EVENTS.to_string(),
            format!("PATCH[json] {STACK}"),
        ]
    );
    let pvcs: Vec<_> = fake
        .paths()
        .into_iter()
        .filter(|p| p.starts_with(PVCS))
        .collect();
    assert_eq!(pvcs, vec![format!("{PVCS}/data-other-postgres-0")]);
    assert!(fake.get(GENERATED).is_none());
    assert_eq!(
        fake.get(STACK).unwrap()["metadata"]["finalizers"],
        json!([])
    );
}

#[tokio::test]
async fn an_object_deleted_behind_the_operators_back_is_recreated_alone() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    let api = format!("{DEPLOY}/demo-api");
    // Delete it as `kubectl delete deploy demo-api` would.
    let deploys: Api<Deployment> = Api::namespaced(fake.client(), "imgup");
    deploys
        .delete("demo-api", &DeleteParams::default())
        .await
        .unwrap();
    fake.take_log();

    pass(&fake, &ctx).await.unwrap();
    let writes: Vec<_> = fake
        .take_log()
        .into_iter()
        .filter(|l| !l.starts_with("GET ") && l != PODS)
        .filter(|l| !l.contains("/events"))
        .collect();
    assert_eq!(writes, vec![format!("PATCH[apply] {api}")]);
    assert!(fake.get(&api).is_some());
}

#[tokio::test]
async fn external_storage_and_database_run_only_the_services() {
    let fake = FakeApi::new();
    let spec: ImageUploadStackSpec = serde_json::from_value(json!({
        "storage": {"external": {"endpoint": "https://s3.example.com", "credentialsSecret": "s3"}},
        "database": {"external": {"urlSecretRef": {"name": "db", "key": "url"}}},
    }))
    .unwrap();
    store_stack(&fake, spec, true);
    for (name, data) in [
        ("s3", json!({"access-key": "YWs=", "secret-key": "c2s="})),
        ("db", json!({"url": "cG9zdGdyZXM6Ly9kYg=="})),
    ] {
        fake.put(
            &format!("{SECRETS}/{name}"),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "data": data}),
        );
    }
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    let applied: Vec<_> = fake
        .take_log()
        .into_iter()
        .filter_map(|l| l.strip_prefix("PATCH[apply] ").map(String::from))
        .collect();
    let job = job_name(&fake);
    assert_eq!(
        applied,
        vec![
            format!("{CM}/demo-api-config"),
            format!("{CM}/demo-auth-config"),
            format!("{JOBS}/{job}"),
            format!("{DEPLOY}/demo-api"),
            format!("{SVC}/demo-api"),
            format!("{DEPLOY}/demo-auth"),
            format!("{SVC}/demo-auth"),
            format!("{STACK}/status"),
        ]
    );
    for t in ["DatabaseReady", "StorageReady"] {
        let c = condition(&fake, t);
        assert_eq!(
            (c["status"].as_str(), c["reason"].as_str()),
            (Some("True"), Some("External"))
        );
    }
    let cm = fake.get(&format!("{CM}/demo-api-config")).unwrap();
    assert_eq!(cm["data"]["S3_ENDPOINT"], "https://s3.example.com");
}

/// (verb, apiGroup, resource) triples a ClusterRole/Role in the chart's
/// rbac.yaml grants. The template's Helm expressions only sit in metadata
/// and around documents, so dropping those lines leaves the rules intact.
fn chart_rbac_grants() -> Vec<(String, String, String, String)> {
    let text = include_str!("../../charts/imgup-operator/templates/rbac.yaml");
    let plain: String = text
        .lines()
        .filter(|l| !l.contains("{{"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut grants = Vec::new();
    for doc in plain.split("\n---\n") {
        let v: Value = serde_norway::from_str(doc).unwrap();
        let kind = v["kind"].as_str().unwrap().to_string();
        for rule in v["rules"].as_array().into_iter().flatten() {
            for g in rule["apiGroups"].as_array().unwrap() {
                for r in rule["resources"].as_array().unwrap() {
                    for verb in rule["verbs"].as_array().unwrap() {
                        let s = |x: &Value| x.as_str().unwrap().to_string();
                        grants.push((kind.clone(), s(verb), s(g), s(r)));
                    }
                }
            }
        }
    }
    grants
}

/// The verbs, API group and resource a logged call needs.
fn needs(call: &str) -> Vec<(String, String, String)> {
    let (method, rest) = call.split_once(' ').unwrap();
    let path = rest.split('?').next().unwrap();
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let group = if segs[0] == "api" { "" } else { segs[1] };
    let i = segs.iter().position(|s| *s == "namespaces").unwrap();
    let mut resource = segs[i + 2].to_string();
    if let Some(sub) = segs.get(i + 4) {
        resource = format!("{resource}/{sub}");
    }
    let verbs: &[&str] = match method {
        "GET" => &["get"],
        "LIST" => &["list"],
        "POST" => &["create"],
        "PUT" => &["update"],
        // Server-side apply creates what is missing.
        "PATCH[apply]" if !resource.contains('/') => &["patch", "create"],
        m if m.starts_with("PATCH") => &["patch"],
        "DELETE" => &["delete"],
        "DELETECOLLECTION" => &["deletecollection"],
        other => panic!("unmapped call {other}"),
    };
    verbs
        .iter()
        .map(|v| (v.to_string(), group.to_string(), resource.clone()))
        .collect()
}

#[tokio::test]
async fn the_charts_rbac_allows_every_call_the_operator_makes_and_nothing_unused() {
    let fake = FakeApi::new();
    let mut log = Vec::new();
    // Leader election.
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(fake.client(), "imgup");
    let elector =
        crate::leader::LeaderElector::new(leases, "imgup-operator", "a", Duration::from_secs(15));
    elector.try_acquire(Timestamp::now()).await.unwrap();
    elector.try_acquire(Timestamp::now()).await.unwrap();
    // A stack's life: finalizer, first pass with a user secret, a repaired
    // generated secret, readiness, a spec change, deletion with Delete.
    let mut spec = ImageUploadStackSpec {
        retention: RetentionPolicy::Delete,
        ..ImageUploadStackSpec::default()
    };
    spec.auth.jwt_secret_ref = Some(SecretKeyRef {
        name: "jwt".into(),
        key: "k".into(),
    });
    store_stack(&fake, spec, false);
    fake.put(
        &format!("{SECRETS}/jwt"),
        json!({"metadata": {"name": "jwt"}, "data": {"k": "eA=="}}),
    );
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    pass(&fake, &ctx).await.unwrap();
    let mut secret = fake.get(GENERATED).unwrap();
    secret["data"]
        .as_object_mut()
        .unwrap()
        .remove("session-secret");
    fake.put(GENERATED, secret);
    pass(&fake, &ctx).await.unwrap();
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    let mut stack = fake.get(STACK).unwrap();
    stack["spec"]["buckets"] = json!({"uploads": "photos"});
    fake.put(STACK, stack);
    pass(&fake, &ctx).await.unwrap();
    // A larger MinIO volume: its claim is read and grown.
    store_sized_pvc(&fake, "data-demo-minio-0", "10Gi");
    let mut stack = fake.get(STACK).unwrap();
    stack["spec"]["storage"] = json!({"minio": {"size": "20Gi"}});
    fake.put(STACK, stack);
    pass(&fake, &ctx).await.unwrap();
    // Autoscaling on (the replica count handed over, an autoscaler and a
    // disruption budget made), then off again (both pruned).
    edit_spec(&fake, |s| {
        s["api"]["autoscaling"] = json!({"maxReplicas": 3});
    });
    pass(&fake, &ctx).await.unwrap();
    edit_spec(&fake, |s| {
        s["api"].as_object_mut().unwrap().remove("autoscaling");
    });
    pass(&fake, &ctx).await.unwrap();
    // An Ingress, then none again (pruned).
    edit_spec(&fake, |s| {
        s["ingress"] = json!({"apiHost": "api.example.com", "s3Host": "s3.example.com"});
    });
    pass(&fake, &ctx).await.unwrap();
    assert!(fake.get(&format!("{ING}/demo")).is_some());
    edit_spec(&fake, |s| {
        s.as_object_mut().unwrap().remove("ingress");
    });
    pass(&fake, &ctx).await.unwrap();
    assert!(fake.get(&format!("{ING}/demo")).is_none());
    // External S3 and Postgres: the in-cluster ones pruned, their claims
    // (whenDeleted: Delete with this retention) released first.
    store_external_secrets(&fake);
    edit_spec(&fake, go_external);
    pass(&fake, &ctx).await.unwrap();
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    assert!(fake.get(&format!("{STS}/demo-minio")).is_none(), "pruned");
    let mut stack = fake.get(STACK).unwrap();
    stack["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
    fake.put(STACK, stack);
    pass(&fake, &ctx).await.unwrap();
    log.extend(fake.take_log());

    let grants = chart_rbac_grants();
    let allowed = |verb: &str, group: &str, resource: &str, kind: &str| {
        grants
            .iter()
            .any(|(k, v, g, r)| k == kind && v == verb && g == group && r == resource)
    };
    let mut checked = std::collections::BTreeSet::new();
    // Objects whose owner reference blocks the owner's deletion need update
    // on the owner's finalizers where OwnerReferencesPermissionEnforcement is on.
    let blocks_owner_deletion = fake.paths().iter().any(|p| {
        fake.get(p).unwrap()["metadata"]["ownerReferences"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["blockOwnerDeletion"] == json!(true) && r["kind"] == "ImageUploadStack")
    });
    assert!(
        blocks_owner_deletion,
        "no object blocks the stack's deletion"
    );
    assert!(
        allowed(
            "update",
            "imgup.dev",
            "imageuploadstacks/finalizers",
            "ClusterRole"
        ),
        "ClusterRole lacks update on imageuploadstacks/finalizers (for blockOwnerDeletion)"
    );
    checked.insert("update imgup.dev/imageuploadstacks/finalizers".to_string());
    for call in &log {
        for (verb, group, resource) in needs(call) {
            let kind = if resource == "leases" {
                "Role"
            } else {
                "ClusterRole"
            };
            assert!(
                allowed(&verb, &group, &resource, kind),
                "{kind} lacks {verb} on {group}/{resource} (for {call})"
            );
            checked.insert(format!("{verb} {group}/{resource}"));
        }
    }
    // The controller also lists and watches these (not part of a pass).
    let watched_kinds = [
        ("imgup.dev", "imageuploadstacks"),
        ("apps", "deployments"),
        ("apps", "statefulsets"),
        ("batch", "jobs"),
        ("", "services"),
        ("", "configmaps"),
        ("", "secrets"),
        ("autoscaling", "horizontalpodautoscalers"),
        ("policy", "poddisruptionbudgets"),
        ("networking.k8s.io", "ingresses"),
    ];
    for (group, resource) in watched_kinds {
        for verb in ["list", "watch"] {
            assert!(
                allowed(verb, group, resource, "ClusterRole"),
                "{verb} {group}/{resource}"
            );
        }
    }
    // Least privilege: every grant is used by a call above or by a watch.
    for (_, verb, group, resource) in &grants {
        assert!(!verb.contains('*') && !group.contains('*') && !resource.contains('*'));
        let key = format!("{verb} {group}/{resource}");
        let watched = matches!(verb.as_str(), "list" | "watch")
            && watched_kinds
                .iter()
                .any(|(g, r)| g == group && r == resource);
        assert!(watched || checked.contains(&key), "unused grant: {key}");
    }
}

/// Every kind a stack can have is watched (`.owns(...)` in [`run`]), so
/// that one deleted or changed behind the operator's back is put back at
/// once rather than at the next resync. The kinds come from the objects of
/// a stack that has them all; the RBAC test above checks `list` and
/// `watch` on each.
#[test]
fn every_kind_a_stack_has_is_watched() {
    let spec: ImageUploadStackSpec = serde_json::from_value(json!({
        "api": {"autoscaling": {"maxReplicas": 3}},
        "auth": {"replicas": 2},
        "ingress": {"apiHost": "api.example.com"},
    }))
    .unwrap();
    let stack = crate::resources::test_support::stack(spec);
    let kinds: std::collections::BTreeSet<&str> =
        resources::desired_objects(&stack, &Inputs::default())
            .iter()
            .map(|d| d.kind())
            .collect();
    assert_eq!(kinds.len(), 8, "{kinds:?}");
    let source: String = include_str!("controller.rs").split_whitespace().collect();
    let run = &source[source.find("pubasyncfnrun(").unwrap()..];
    for kind in kinds {
        assert!(
            run.contains(&format!(".owns(Api::<{kind}>::all(")),
            "{kind} is not watched"
        );
    }
}

#[tokio::test]
async fn objects_edited_behind_the_operators_back_are_put_back_once() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    pass(&fake, &ctx).await.unwrap();
    // `kubectl scale deploy demo-api --replicas=5` and `kubectl edit cm`.
    let api = format!("{DEPLOY}/demo-api");
    let mut d = fake.get(&api).unwrap();
    d["spec"]["replicas"] = json!(5);
    d["metadata"]["generation"] = json!(2);
    fake.put(&api, d);
    let cm = format!("{CM}/demo-api-config");
    let mut c = fake.get(&cm).unwrap();
    c["data"]["MAX_UPLOAD_BYTES"] = json!("1");
    c["metadata"]["resourceVersion"] = Value::Null;
    fake.put(&cm, c);
    fake.take_log();

    pass(&fake, &ctx).await.unwrap();
    let applied: Vec<_> = fake
        .take_log()
        .into_iter()
        .filter(|l| l.starts_with("PATCH[apply]"))
        .collect();
    assert_eq!(
        applied,
        vec![format!("PATCH[apply] {cm}"), format!("PATCH[apply] {api}")]
    );
    assert_eq!(fake.get(&api).unwrap()["spec"]["replicas"], 1);
    assert_eq!(
        fake.get(&cm).unwrap()["data"]["MAX_UPLOAD_BYTES"],
        "10485760"
    );

    // Put back once; the next pass is reads only again.
    pass(&fake, &ctx).await.unwrap();
    assert!(
        fake.take_log()
            .iter()
            .all(|l| l.starts_with("GET ") || l == PODS)
    );
}

fn event_reasons(fake: &FakeApi) -> Vec<String> {
    fake.paths()
        .into_iter()
        .filter(|p| p.contains("/events/"))
        .map(|p| {
            fake.get(&p).unwrap()["reason"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// A data volume claim of the stack's `component`, labelled as the
/// StatefulSet controller labels the claims it makes from the template.
fn store_data_claim(fake: &FakeApi, component: &str) {
    let name = format!("data-demo-{component}-0");
    fake.put(
        &format!("{PVCS}/{name}"),
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": name, "namespace": "imgup", "labels": {
                   "app.kubernetes.io/name": format!("imgup-{component}"),
                   "app.kubernetes.io/instance": "demo",
                   "app.kubernetes.io/component": component,
                   "app.kubernetes.io/part-of": "imgup",
                   "app.kubernetes.io/managed-by": "imgup-operator"}},
               "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}}}),
    );
}

async fn delete_generated_secret(fake: &FakeApi) {
    let secrets_api: Api<Secret> = Api::namespaced(fake.client(), "imgup");
    secrets_api
        .delete("demo-generated", &DeleteParams::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_generated_secret_deleted_with_no_volume_left_is_generated_anew_with_a_warning() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    assert!(event_reasons(&fake).contains(&"SecretGenerated".to_string()));
    let old = generated_data(&fake);
    delete_generated_secret(&fake).await;
    fake.take_log();

    pass(&fake, &ctx).await.unwrap();
    let log = fake.take_log();
    assert_eq!(
        log[..4],
        [
            format!("GET {GENERATED}"),
            format!("LIST {PVCS}?labelSelector={SELECTOR}"),
            format!("POST {SECRETS}"),
            EVENTS.to_string()
        ]
    );
    assert!(event_reasons(&fake).contains(&"SecretRegenerated".to_string()));
    assert_ne!(generated_data(&fake), old);
}

#[tokio::test]
async fn a_generated_secret_deleted_while_its_volumes_remain_is_not_regenerated() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    store_data_claim(&fake, "postgres");
    store_data_claim(&fake, "minio");
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    let backup = fake.get(GENERATED).unwrap();
    let api_before = fake.get(&format!("{DEPLOY}/demo-api")).unwrap();
    delete_generated_secret(&fake).await;
    fake.take_log();

    let action = pass(&fake, &ctx).await.unwrap();
    assert_eq!(action, Action::requeue(REQUEUE_MISSING_SECRET));
    assert_eq!(
        fake.take_log(),
        vec![
            format!("GET {GENERATED}"),
            format!("LIST {PVCS}?labelSelector={SELECTOR}"),
            format!("PATCH[apply] {STACK}/status"),
            EVENTS.to_string(),
        ],
        "no new Secret, nothing applied"
    );
    assert!(fake.get(GENERATED).is_none(), "a new password was made up");
    assert_eq!(fake.get(&format!("{DEPLOY}/demo-api")).unwrap(), api_before);
    let ready = condition(&fake, "Ready");
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "GeneratedSecretLost");
    let message = ready["message"].as_str().unwrap();
    for part in [
        "demo-generated",
        "data-demo-minio-0",
        "data-demo-postgres-0",
        "Restore the Secret from a backup",
        "delete the volume claims together with their StatefulSets",
        "delete statefulset --ignore-not-found demo-minio demo-postgres",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert!(!event_reasons(&fake).contains(&"SecretRegenerated".to_string()));

    // Looked at again: the same, and no write.
    pass(&fake, &ctx).await.unwrap();
    assert_eq!(
        fake.take_log(),
        vec![
            format!("GET {GENERATED}"),
            format!("LIST {PVCS}?labelSelector={SELECTOR}"),
        ]
    );

    // Restored from the backup: the stack goes on with the old passwords.
    fake.put(GENERATED, backup.clone());
    pass(&fake, &ctx).await.unwrap();
    assert_eq!(generated_data(&fake), backup["data"]);
    assert_eq!(condition(&fake, "Ready")["status"], "True");
    assert_eq!(
        fake.get(&format!("{DEPLOY}/demo-api")).unwrap()["spec"],
        api_before["spec"]
    );

    // Deleted again, and this time the volume claims too (starting afresh):
    // a new Secret.
    delete_generated_secret(&fake).await;
    for component in ["postgres", "minio"] {
        let claims: Api<PersistentVolumeClaim> = Api::namespaced(fake.client(), "imgup");
        claims
            .delete(
                &format!("data-demo-{component}-0"),
                &DeleteParams::default(),
            )
            .await
            .unwrap();
    }
    fake.take_log();
    pass(&fake, &ctx).await.unwrap();
    assert!(fake.take_log().contains(&format!("POST {SECRETS}")));
    assert_ne!(generated_data(&fake), backup["data"]);
    assert_ne!(condition(&fake, "Ready")["reason"], "GeneratedSecretLost");
}

#[tokio::test]
async fn a_lost_generated_secret_is_made_anew_when_the_volumes_use_the_users_own_credentials() {
    let fake = FakeApi::new();
    let spec: ImageUploadStackSpec = serde_json::from_value(json!({
        "storage": {"minio": {"credentialsSecret": "minio-creds"}},
        "database": {"postgres": {"passwordSecretRef": {"name": "pg", "key": "password"}}},
    }))
    .unwrap();
    store_stack(&fake, spec, true);
    for (name, data) in [
        (
            "minio-creds",
            json!({"root-user": "YWRtaW4=", "root-password": "c2VjcmV0"}),
        ),
        ("pg", json!({"password": "c2VjcmV0"})),
    ] {
        fake.put(
            &format!("{SECRETS}/{name}"),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "data": data}),
        );
    }
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    store_data_claim(&fake, "postgres");
    store_data_claim(&fake, "minio");
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    delete_generated_secret(&fake).await;
    fake.take_log();

    // The generated Secret held only the JWT and session secrets: a new one
    // signs everyone out, and loses no data.
    pass(&fake, &ctx).await.unwrap();
    assert!(fake.take_log().contains(&format!("POST {SECRETS}")));
    assert!(fake.get(GENERATED).is_some());
    assert_ne!(condition(&fake, "Ready")["reason"], "GeneratedSecretLost");
}

#[tokio::test]
async fn a_stack_in_a_namespace_being_deleted_lets_go_although_no_event_can_be_written() {
    let fake = FakeApi::new();
    store_deleting_stack(&fake, RetentionPolicy::Retain);
    fake.terminate_namespace("imgup");
    pass(&fake, &context(&fake)).await.unwrap();
    assert_eq!(
        fake.take_log(),
        vec![EVENTS.to_string(), format!("PATCH[json] {STACK}")]
    );
    assert_eq!(
        fake.get(STACK).unwrap()["metadata"]["finalizers"],
        json!([]),
        "the finalizer stays and the namespace never goes"
    );
}

#[tokio::test]
async fn events_the_api_server_refuses_do_not_stop_the_pass() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    for _ in 0..3 {
        fake.fail_next(EVENTS, 500, "etcdserver: request timed out");
    }
    let action = pass(&fake, &context(&fake)).await.unwrap();
    assert_eq!(action, Action::requeue(REQUEUE_PROGRESSING));
    let job = job_name(&fake);
    for p in object_paths(&job) {
        assert!(fake.get(&p).is_some(), "{p} was not applied");
    }
    assert_eq!(condition(&fake, "Ready")["status"], "False");
}

#[test]
fn event_notes_are_cut_to_what_the_api_server_takes() {
    assert_eq!(fit_note("short".into()), "short");
    let long = "é".repeat(700); // 1,400 bytes
    let cut = fit_note(long);
    assert!(cut.len() <= MAX_NOTE_BYTES, "{}", cut.len());
    assert!(cut.ends_with('…'));
}

fn store_sized_pvc(fake: &FakeApi, name: &str, size: &str) {
    fake.put(
        &format!("{PVCS}/{name}"),
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": name, "namespace": "imgup"},
               "spec": {"accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": size}}}}),
    );
}

fn with_minio(fake: &FakeApi, edit: impl FnOnce(&mut crate::crd::MinioSpec)) {
    let mut stack = current(fake);
    let mut minio = stack.spec.storage.minio.clone().unwrap_or_default();
    edit(&mut minio);
    stack.spec.storage.minio = Some(minio);
    let mut value = serde_json::to_value(&stack).unwrap();
    value["metadata"]["generation"] = json!(2);
    fake.put(STACK, value);
}

/// A default stack, applied and ready, whose MinIO pod has its 10Gi claim.
async fn running_stack_with_a_minio_volume() -> (FakeApi, Arc<Context>) {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    store_sized_pvc(&fake, "data-demo-minio-0", "10Gi");
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    (fake, ctx)
}

#[tokio::test]
async fn a_larger_volume_resizes_the_claim_and_leaves_the_template_and_the_rest_applied() {
    let (fake, ctx) = running_stack_with_a_minio_volume().await;
    let template_before =
        fake.get(&format!("{STS}/demo-minio")).unwrap()["spec"]["volumeClaimTemplates"].clone();
    fake.take_log();

    // A bigger volume and, in the same edit, a new MinIO image.
    with_minio(&fake, |m| {
        m.size = "20Gi".into();
        m.image = Some("quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z".into());
    });
    pass(&fake, &ctx).await.unwrap();
    let log = fake.take_log();
    assert!(
        log.contains(&format!("PATCH[merge] {PVCS}/data-demo-minio-0")),
        "{log:#?}"
    );
    let pvc = fake.get(&format!("{PVCS}/data-demo-minio-0")).unwrap();
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "20Gi");
    let sts = fake.get(&format!("{STS}/demo-minio")).unwrap();
    assert_eq!(
        sts["spec"]["volumeClaimTemplates"], template_before,
        "the immutable template is left alone"
    );
    assert_eq!(
        sts["spec"]["template"]["spec"]["containers"][0]["image"],
        "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z",
        "the rest of the StatefulSet is still applied"
    );
    assert_ne!(condition(&fake, "Ready")["reason"], "Rejected");

    // Nothing more to do on the next pass: no second patch.
    pass(&fake, &ctx).await.unwrap();
    assert!(
        !fake
            .take_log()
            .iter()
            .any(|c| c.starts_with("PATCH[merge]"))
    );
}

#[tokio::test]
async fn a_volume_that_cannot_change_is_reported_and_every_other_object_still_applied() {
    let (fake, ctx) = running_stack_with_a_minio_volume().await;

    // Smaller, on another class, and an api change beside it.
    with_minio(&fake, |m| {
        m.size = "5Gi".into();
        m.storage_class_name = Some("fast-ssd".into());
    });
    let mut stack = fake.get(STACK).unwrap();
    stack["spec"]["api"]["replicas"] = json!(3);
    fake.put(STACK, stack);
    pass(&fake, &ctx).await.unwrap();

    let ready = condition(&fake, "Ready");
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "Rejected");
    let message = ready["message"].as_str().unwrap();
    assert!(
        message.contains("keep storage class") && message.contains("fast-ssd"),
        "{message}"
    );
    assert!(
        message.contains("PersistentVolumeClaim/data-demo-minio-0 not resized to 5Gi"),
        "{message}"
    );
    let pvc = fake.get(&format!("{PVCS}/data-demo-minio-0")).unwrap();
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "10Gi");
    assert_eq!(
        fake.get(&format!("{DEPLOY}/demo-api")).unwrap()["spec"]["replicas"],
        3,
        "the api change went through"
    );
}

fn minio_stateful_set(stack: &ImageUploadStack) -> StatefulSet {
    resources::desired_objects(stack, &Inputs::default())
        .into_iter()
        .find_map(|d| match d {
            Desired::StatefulSet(s) if s.name_any() == "demo-minio" => Some(s),
            _ => None,
        })
        .expect("a MinIO StatefulSet")
}

#[tokio::test]
async fn the_fake_refuses_a_changed_claim_template_as_the_api_server_does() {
    // Without the operator's care, the bigger size would reach the
    // StatefulSet and the API server would refuse it.
    let fake = FakeApi::new();
    let client = fake.client();
    let api: Api<StatefulSet> = Api::namespaced(client, "imgup");
    let stack = crate::resources::test_support::stack(ImageUploadStackSpec::default());
    let first = minio_stateful_set(&stack);
    let params = PatchParams::apply(FIELD_MANAGER).force();
    api.patch("demo-minio", &params, &Patch::Apply(&first))
        .await
        .unwrap();
    let mut bigger = stack.clone();
    bigger.spec.storage.minio = Some(crate::crd::MinioSpec {
        size: "20Gi".into(),
        ..crate::crd::MinioSpec::default()
    });
    let second = minio_stateful_set(&bigger);
    let err = api
        .patch("demo-minio", &params, &Patch::Apply(&second))
        .await
        .unwrap_err();
    assert!(matches!(err, kube::Error::Api(s) if s.code == 422));
}

#[tokio::test]
async fn a_pod_that_cannot_pull_its_image_is_named_in_ready() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    fake.put(
        "/api/v1/namespaces/imgup/pods/demo-api-5d8f7-x2x9q",
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "demo-api-5d8f7-x2x9q", "namespace": "imgup", "labels": {
                   "app.kubernetes.io/instance": "demo",
                   "app.kubernetes.io/managed-by": "imgup-operator",
                   "app.kubernetes.io/component": "api"}},
               "status": {"containerStatuses": [{"name": "api", "image": "ghcr.io/imgup/imgup-api:0.1.0",
                   "imageID": "", "ready": false, "restartCount": 0,
                   "state": {"waiting": {"reason": "ImagePullBackOff",
                       "message": "Back-off pulling image \"ghcr.io/imgup/imgup-api:0.1.0\""}}}]}}),
    );
    pass(&fake, &context(&fake)).await.unwrap();
    let api = condition(&fake, "ApiReady");
    assert_eq!(api["reason"], "ImagePullBackOff");
    let ready = condition(&fake, "Ready");
    let message = ready["message"].as_str().unwrap();
    assert!(
        message.contains("ApiReady (ImagePullBackOff: pod demo-api-5d8f7-x2x9q")
            && message.contains("ghcr.io/imgup/imgup-api:0.1.0"),
        "{message}"
    );
    // Components without trouble of their own are only waited for.
    assert_eq!(condition(&fake, "AuthReady")["reason"], "Progressing");
}

#[tokio::test]
async fn after_a_restart_drift_made_while_no_operator_ran_is_put_back() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    // While the operator is down, someone scales the api to zero (the spec
    // hash annotation is left as it was).
    let path = format!("{DEPLOY}/demo-api");
    let mut d = fake.get(&path).unwrap();
    d["spec"]["replicas"] = json!(0);
    d["metadata"]["generation"] = json!(7);
    fake.put(&path, d);

    let restarted = context(&fake);
    pass(&fake, &restarted).await.unwrap();
    assert_eq!(fake.get(&path).unwrap()["spec"]["replicas"], 1);
    fake.mark_ready();
    pass(&fake, &restarted).await.unwrap();
    fake.take_log();
    pass(&fake, &restarted).await.unwrap();
    let writes: Vec<String> = fake
        .take_log()
        .into_iter()
        .filter(|c| c.starts_with("PATCH") || c.starts_with("POST") || c.starts_with("PUT"))
        .collect();
    assert!(
        writes.is_empty(),
        "an unchanged stack is written to: {writes:?}"
    );
}

/// Edits the stored stack's spec as `kubectl apply` would (a new generation).
fn edit_spec(fake: &FakeApi, edit: impl FnOnce(&mut Value)) {
    let mut stack = fake.get(STACK).unwrap();
    edit(&mut stack["spec"]);
    let generation = stack["metadata"]["generation"].as_i64().unwrap_or(1);
    stack["metadata"]["generation"] = json!(generation + 1);
    fake.put(STACK, stack);
}

fn deployment_replicas(fake: &FakeApi, name: &str) -> Value {
    fake.get(&format!("{DEPLOY}/{name}")).unwrap()["spec"]["replicas"].clone()
}

/// Whether the operator's own apply owns the Deployment's `spec.replicas`.
fn operator_owns_replicas(fake: &FakeApi, name: &str) -> bool {
    let d: Deployment = serde_json::from_value(fake.get(&format!("{DEPLOY}/{name}")).unwrap())
        .expect("a Deployment");
    owns_replicas(&d, FIELD_MANAGER)
}

fn writes(log: &[String]) -> Vec<String> {
    log.iter()
        .filter(|l| !l.starts_with("GET ") && *l != PODS && !l.contains("/events"))
        .cloned()
        .collect()
}

#[tokio::test]
async fn autoscaling_hands_the_replica_count_to_an_autoscaler_and_turned_off_takes_it_back() {
    let fake = FakeApi::new();
    let mut spec = ImageUploadStackSpec::default();
    spec.api.replicas = 3;
    store_stack(&fake, spec, true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    assert_eq!(deployment_replicas(&fake, "demo-api"), 3);
    assert!(operator_owns_replicas(&fake, "demo-api"));
    let budget = fake
        .get(&format!("{PDB}/demo-api"))
        .expect("3 pods, a budget");
    assert_eq!(budget["spec"]["maxUnavailable"], 1);
    assert_eq!(
        budget["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"],
        "imgup-api"
    );
    assert!(
        fake.get(&format!("{PDB}/demo-auth")).is_none(),
        "auth runs one pod"
    );
    assert!(fake.get(&format!("{HPA}/demo-api")).is_none());
    fake.take_log();

    // Autoscaling on: the count goes to the hand-over manager at its value,
    // then the Deployment is applied without one, and the autoscaler made.
    edit_spec(&fake, |s| {
        s["api"]["autoscaling"] = json!({"minReplicas": 2, "maxReplicas": 5});
    });
    pass(&fake, &ctx).await.unwrap();
    assert_eq!(
        deployment_replicas(&fake, "demo-api"),
        3,
        "leaving replicas out must not reset the count to 1"
    );
    let log = fake.take_log();
    let api = format!("{DEPLOY}/demo-api");
    assert_eq!(
        writes(&log),
        vec![
            format!("PATCH[apply] {api}"), // the hand-over
            format!("PATCH[apply] {api}"),
            format!("PATCH[apply] {HPA}/demo-api"),
            prune_lists()[0].clone(),
            prune_lists()[1].clone(),
            prune_lists()[2].clone(),
            prune_lists()[3].clone(),
            prune_lists()[4].clone(),
            format!("PATCH[apply] {STACK}/status"),
        ]
    );
    assert!(!operator_owns_replicas(&fake, "demo-api"));
    let hpa = fake.get(&format!("{HPA}/demo-api")).expect("an autoscaler");
    assert_eq!(
        hpa["spec"]["scaleTargetRef"],
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "demo-api"})
    );
    assert_eq!(
        (&hpa["spec"]["minReplicas"], &hpa["spec"]["maxReplicas"]),
        (&json!(2), &json!(5))
    );
    assert_eq!(
        hpa["spec"]["metrics"][0]["resource"],
        json!({"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}})
    );
    assert_eq!(hpa["metadata"]["ownerReferences"][0]["name"], "demo");

    // The autoscaler scales to 4 (through the scale subresource, an update
    // that takes the field): the operator's passes leave it there.
    let deploys: Api<Deployment> = Api::namespaced(fake.client(), "imgup");
    deploys
        .patch(
            "demo-api",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 4}})),
        )
        .await
        .unwrap();
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    assert_eq!(deployment_replicas(&fake, "demo-api"), 4);
    fake.take_log();
    pass(&fake, &ctx).await.unwrap();
    assert_eq!(deployment_replicas(&fake, "demo-api"), 4);
    assert_eq!(
        writes(&fake.take_log()),
        Vec::<String>::new(),
        "an unchanged autoscaled stack: reads only, no list, no delete"
    );

    // At most one pod: the budget goes, the autoscaler stays.
    edit_spec(&fake, |s| {
        s["api"]["autoscaling"] = json!({"minReplicas": 1, "maxReplicas": 1});
    });
    pass(&fake, &ctx).await.unwrap();
    let log = writes(&fake.take_log());
    assert!(log.contains(&format!("DELETE {PDB}/demo-api")), "{log:#?}");
    assert!(!log.iter().any(|l| l.starts_with(&format!("DELETE {HPA}"))));
    assert!(fake.get(&format!("{PDB}/demo-api")).is_none());
    assert_eq!(
        fake.get(&format!("{HPA}/demo-api")).unwrap()["spec"]["maxReplicas"],
        1
    );
    assert!(event_reasons(&fake).contains(&"Pruned".to_string()));

    // Off: the autoscaler goes and the spec's count is applied again.
    edit_spec(&fake, |s| {
        s["api"].as_object_mut().unwrap().remove("autoscaling");
        s["api"]["replicas"] = json!(2);
    });
    pass(&fake, &ctx).await.unwrap();
    let log = writes(&fake.take_log());
    assert!(log.contains(&format!("DELETE {HPA}/demo-api")), "{log:#?}");
    assert!(fake.get(&format!("{HPA}/demo-api")).is_none());
    assert_eq!(deployment_replicas(&fake, "demo-api"), 2);
    assert!(operator_owns_replicas(&fake, "demo-api"));
    assert!(
        fake.get(&format!("{PDB}/demo-api")).is_some(),
        "2 pods, a budget again"
    );
}

#[tokio::test]
async fn an_ingress_routes_its_hosts_becomes_the_public_urls_and_goes_when_turned_off() {
    let fake = FakeApi::new();
    let spec: ImageUploadStackSpec = serde_json::from_value(json!({
        "ingress": {"className": "nginx", "tlsSecretName": "imgup-tls",
                    "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "64m"},
                    "apiHost": "api.example.com", "authHost": "auth.example.com",
                    "s3Host": "s3.example.com"},
    }))
    .unwrap();
    store_stack(&fake, spec, true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    let ingress = format!("{ING}/demo");
    let mut want: Vec<String> = object_paths(&job_name(&fake))
        .into_iter()
        .map(|p| format!("PATCH[apply] {p}"))
        .collect();
    want.push(format!("PATCH[apply] {ingress}"));
    want.push(format!("PATCH[apply] {STACK}/status"));
    let applied: Vec<String> = fake
        .take_log()
        .into_iter()
        .filter(|l| l.starts_with("PATCH[apply]"))
        .collect();
    assert_eq!(applied, want, "the Ingress last, after the Services");

    let ing = fake.get(&ingress).unwrap();
    assert_eq!(ing["metadata"]["ownerReferences"][0]["name"], "demo");
    assert_eq!(
        ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"],
        "64m"
    );
    assert_eq!(ing["spec"]["ingressClassName"], "nginx");
    let rules: Vec<(Value, Value, Value)> = ing["spec"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let path = &r["http"]["paths"][0];
            assert_eq!(
                (&path["path"], &path["pathType"]),
                (&json!("/"), &json!("Prefix"))
            );
            let svc = &path["backend"]["service"];
            (
                r["host"].clone(),
                svc["name"].clone(),
                svc["port"]["number"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            (json!("api.example.com"), json!("demo-api"), json!(8080)),
            (json!("auth.example.com"), json!("demo-auth"), json!(8001)),
            (json!("s3.example.com"), json!("demo-minio"), json!(9000)),
        ]
    );
    assert_eq!(
        ing["spec"]["tls"],
        json!([{"hosts": ["api.example.com", "auth.example.com", "s3.example.com"],
                "secretName": "imgup-tls"}])
    );
    let endpoints = fake.get(STACK).unwrap()["status"]["endpoints"].clone();
    assert_eq!(
        endpoints,
        json!({"api": "https://api.example.com", "auth": "https://auth.example.com",
               "s3": "https://s3.example.com"})
    );
    let config =
        |name: &str, key: &str| fake.get(&format!("{CM}/{name}")).unwrap()["data"][key].clone();
    assert_eq!(
        config("demo-auth-config", "PUBLIC_URL"),
        "https://auth.example.com"
    );
    assert_eq!(
        config("demo-api-config", "S3_PUBLIC_ENDPOINT"),
        "https://s3.example.com"
    );
    assert_eq!(
        config("demo-api-config", "S3_ENDPOINT"),
        "http://demo-minio.imgup.svc:9000"
    );

    // Ready, and then an unchanged stack with an Ingress costs reads only.
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    fake.take_log();
    pass(&fake, &ctx).await.unwrap();
    let log = fake.take_log();
    assert!(log.contains(&format!("GET {ingress}")), "{log:#?}");
    assert!(log.iter().all(|l| l.starts_with("GET ")), "{log:#?}");

    // Turned off: the Ingress goes, and the URLs are the in-cluster ones again.
    edit_spec(&fake, |s| {
        s.as_object_mut().unwrap().remove("ingress");
    });
    pass(&fake, &ctx).await.unwrap();
    let log = writes(&fake.take_log());
    assert!(log.contains(&format!("DELETE {ingress}")), "{log:#?}");
    assert!(fake.get(&ingress).is_none());
    assert!(event_reasons(&fake).contains(&"Pruned".to_string()));
    assert_eq!(
        config("demo-auth-config", "PUBLIC_URL"),
        "http://demo-auth.imgup.svc:8001"
    );
    assert_eq!(
        fake.get(STACK).unwrap()["status"]["endpoints"]["api"],
        "http://demo-api.imgup.svc:8080"
    );
}

#[tokio::test]
async fn an_s3_host_with_an_external_s3_is_a_spec_problem() {
    let fake = FakeApi::new();
    let spec: ImageUploadStackSpec = serde_json::from_value(json!({
        "storage": {"external": {"endpoint": "https://s3.example.net", "credentialsSecret": "s3"}},
        "ingress": {"apiHost": "api.example.com", "s3Host": "s3.example.com"},
    }))
    .unwrap();
    store_stack(&fake, spec, true);
    let action = pass(&fake, &context(&fake)).await.unwrap();
    assert_eq!(action, Action::await_change());
    let ready = condition(&fake, "Ready");
    assert_eq!(ready["reason"], "InvalidSpec");
    assert!(
        ready["message"]
            .as_str()
            .unwrap()
            .contains("ingress.s3Host"),
        "{ready}"
    );
    assert!(fake.get(&format!("{ING}/demo")).is_none());
}

#[tokio::test]
async fn an_autoscaled_stack_that_sets_resources_must_request_cpu() {
    let fake = FakeApi::new();
    let spec: ImageUploadStackSpec = serde_json::from_value(json!({
        "api": {"autoscaling": {"maxReplicas": 4},
                "resources": {"requests": {"memory": "128Mi"}, "limits": {"memory": "512Mi"}}},
    }))
    .unwrap();
    store_stack(&fake, spec, true);
    pass(&fake, &context(&fake)).await.unwrap();
    let ready = condition(&fake, "Ready");
    assert_eq!(ready["reason"], "InvalidSpec");
    assert!(
        ready["message"]
            .as_str()
            .unwrap()
            .contains("set api.resources.requests.cpu"),
        "{ready}"
    );
    assert!(fake.get(&format!("{HPA}/demo-api")).is_none());
}

/// What the StatefulSet controller does for `whenDeleted: Delete`: it makes
/// the StatefulSet the owner of the claims it made (and of its pods).
fn store_claim_and_pod_of(fake: &FakeApi, sts: &str, claim_owned: bool) {
    let owner = fake.get(&format!("{STS}/{sts}")).unwrap();
    let reference = json!([{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": sts,
        "uid": owner["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true}]);
    let labels = owner["spec"]["template"]["metadata"]["labels"].clone();
    let claim = format!("data-{sts}-0");
    let mut metadata = json!({"name": claim, "namespace": "imgup", "labels": labels});
    if claim_owned {
        metadata["ownerReferences"] = reference.clone();
    }
    fake.put(
        &format!("{PVCS}/{claim}"),
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata,
               "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}}}),
    );
    fake.put(
        &format!("/api/v1/namespaces/imgup/pods/{sts}-0"),
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": format!("{sts}-0"), "namespace": "imgup", "labels": labels,
                            "ownerReferences": reference}}),
    );
}

/// Plays the StatefulSet controller once it sees `whenDeleted: Retain`: it
/// takes its owner references off the claims.
fn release_claims(fake: &FakeApi) {
    for p in fake.paths().into_iter().filter(|p| p.starts_with(PVCS)) {
        let mut claim = fake.get(&p).unwrap();
        claim["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("ownerReferences");
        fake.put(&p, claim);
    }
}

fn store_external_secrets(fake: &FakeApi) {
    for (name, data) in [
        ("s3", json!({"access-key": "YWs=", "secret-key": "c2s="})),
        ("db", json!({"url": "cG9zdGdyZXM6Ly9kYg=="})),
    ] {
        fake.put(
            &format!("{SECRETS}/{name}"),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "data": data}),
        );
    }
}

fn go_external(spec: &mut Value) {
    spec["storage"] =
        json!({"external": {"endpoint": "https://s3.example.com", "credentialsSecret": "s3"}});
    spec["database"] = json!({"external": {"urlSecretRef": {"name": "db", "key": "url"}}});
}

#[tokio::test]
async fn switching_to_external_s3_and_postgres_removes_the_in_cluster_ones_and_keeps_the_data() {
    let fake = FakeApi::new();
    store_stack(
        &fake,
        ImageUploadStackSpec {
            retention: RetentionPolicy::Delete,
            ..ImageUploadStackSpec::default()
        },
        true,
    );
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    for sts in ["demo-postgres", "demo-minio"] {
        assert_eq!(
            fake.get(&format!("{STS}/{sts}")).unwrap()["spec"]["persistentVolumeClaimRetentionPolicy"]
                ["whenDeleted"],
            "Delete"
        );
        store_claim_and_pod_of(&fake, sts, true);
    }
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    store_external_secrets(&fake);
    fake.take_log();

    edit_spec(&fake, go_external);
    let action = pass(&fake, &ctx).await.unwrap();
    for sts in ["demo-postgres", "demo-minio"] {
        assert!(
            fake.get(&format!("{PVCS}/data-{sts}-0")).is_some(),
            "the data volume of {sts} went with its StatefulSet"
        );
    }
    assert_eq!(action, Action::requeue(REQUEUE_PROGRESSING));
    let log = writes(&fake.take_log());
    // The api and auth move first; then the StatefulSets are told to keep
    // their claims, and nothing is deleted yet.
    let first_prune = log.iter().position(|l| l.starts_with("LIST ")).unwrap();
    assert!(
        log[..first_prune]
            .iter()
            .any(|l| l == &format!("PATCH[apply] {DEPLOY}/demo-api"))
    );
    let pruning: Vec<_> = log[first_prune..]
        .iter()
        .filter(|l| !l.starts_with("LIST ") && !l.ends_with("/status"))
        .filter(|l| !l.contains("/jobs/")) // the old bucket Job
        .collect();
    assert_eq!(
        pruning,
        [
            &format!("PATCH[merge] {STS}/demo-minio"),
            &format!("PATCH[merge] {STS}/demo-postgres"),
        ]
    );
    for sts in ["demo-postgres", "demo-minio"] {
        let o = fake.get(&format!("{STS}/{sts}")).unwrap();
        assert_eq!(
            o["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"],
            "Retain"
        );
    }

    // Its controller has not seen the change yet: still waiting.
    pass(&fake, &ctx).await.unwrap();
    let log = writes(&fake.take_log());
    assert!(!log.iter().any(|l| l.starts_with("DELETE ")), "{log:#?}");
    // It has seen it, but the claims still name it as their owner: waiting.
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    let log = writes(&fake.take_log());
    assert!(!log.iter().any(|l| l.starts_with("DELETE ")), "{log:#?}");
    assert!(log.contains(&format!("LIST {PVCS}")), "{log:#?}");

    // Released: the Services and StatefulSets go, the pods with them, the
    // claims stay.
    release_claims(&fake);
    pass(&fake, &ctx).await.unwrap();
    let log = writes(&fake.take_log());
    assert!(
        !log.iter().any(|l| l.contains("persistentvolumeclaims/")),
        "{log:#?}"
    );
    for sts in ["demo-postgres", "demo-minio"] {
        assert!(log.contains(&format!("DELETE {STS}/{sts}")), "{log:#?}");
        assert!(log.contains(&format!("DELETE {SVC}/{sts}")), "{log:#?}");
        assert!(fake.get(&format!("{STS}/{sts}")).is_none());
        assert!(fake.get(&format!("{SVC}/{sts}")).is_none());
        assert!(
            fake.get(&format!("/api/v1/namespaces/imgup/pods/{sts}-0"))
                .is_none(),
            "the garbage collector takes the pods"
        );
        assert!(
            fake.get(&format!("{PVCS}/data-{sts}-0")).is_some(),
            "the data volume of {sts} is kept"
        );
    }
    let pruned: Vec<String> = fake
        .paths()
        .into_iter()
        .filter(|p| p.contains("/events/"))
        .map(|p| fake.get(&p).unwrap())
        .filter(|e| e["reason"] == "Pruned")
        .map(|e| e["note"].as_str().unwrap().to_string())
        .collect();
    assert!(
        pruned.iter().any(|n| n.contains("Service/demo-minio")
            && n.contains("StatefulSet/demo-minio")
            && n.contains("StatefulSet/demo-postgres")
            && n.contains("kept their data volume claims PersistentVolumeClaim/data-demo-minio-0, PersistentVolumeClaim/data-demo-postgres-0")),
        "{pruned:#?}"
    );

    // Done: the next pass lists nothing, deletes nothing.
    pass(&fake, &ctx).await.unwrap();
    assert_eq!(writes(&fake.take_log()), Vec::<String>::new());
    assert_eq!(condition(&fake, "Ready")["status"], "True");
}

#[tokio::test]
async fn with_retained_claims_the_in_cluster_store_goes_in_one_pass_and_only_it() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    store_claim_and_pod_of(&fake, "demo-minio", false);
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    store_external_secrets(&fake);
    fake.take_log();

    edit_spec(&fake, |s| {
        s["storage"] =
            json!({"external": {"endpoint": "https://s3.example.com", "credentialsSecret": "s3"}});
    });
    pass(&fake, &ctx).await.unwrap();
    let deletes: Vec<String> = writes(&fake.take_log())
        .into_iter()
        .filter(|l| l.starts_with("DELETE ") || l.starts_with("PATCH[merge]"))
        .filter(|l| !l.contains("/jobs/"))
        .collect();
    assert_eq!(
        deletes,
        vec![
            format!("DELETE {SVC}/demo-minio"),
            format!("DELETE {STS}/demo-minio"),
        ]
    );
    assert!(fake.get(&format!("{PVCS}/data-demo-minio-0")).is_some());
    assert!(fake.get(&format!("{STS}/demo-postgres")).is_some());
}

#[tokio::test]
async fn pruning_lists_once_after_a_restart_and_leaves_what_this_stack_does_not_control() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let ctx = context(&fake);
    pass(&fake, &ctx).await.unwrap();
    // Labelled like the stack's, but made by someone else, and one of an
    // earlier stack of the same name (another uid).
    let labels = json!({"app.kubernetes.io/instance": "demo",
                        "app.kubernetes.io/managed-by": "imgup-operator"});
    fake.put(
        &format!("{SVC}/demo-extra"),
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "demo-extra", "namespace": "imgup", "labels": labels}}),
    );
    fake.put(
        &format!("{SVC}/demo-old"),
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "demo-old", "namespace": "imgup", "labels": labels,
                            "ownerReferences": [{"apiVersion": "imgup.dev/v1alpha1",
                                "kind": "ImageUploadStack", "name": "demo", "uid": "an-earlier-uid",
                                "controller": true}]}}),
    );
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    fake.take_log();

    let restarted = context(&fake);
    pass(&fake, &restarted).await.unwrap();
    let lists: Vec<String> = fake
        .take_log()
        .into_iter()
        .filter(|l| l.starts_with("LIST ") || l.starts_with("DELETE "))
        // The bucket Job is applied once after a restart, and its old ones
        // looked for.
        .filter(|l| !l.contains("/jobs"))
        .collect();
    assert_eq!(lists, prune_lists(), "lists once, deletes nothing");
    assert!(fake.get(&format!("{SVC}/demo-extra")).is_some());
    assert!(fake.get(&format!("{SVC}/demo-old")).is_some());
    pass(&fake, &restarted).await.unwrap();
    assert!(
        fake.take_log()
            .iter()
            .all(|l| l.starts_with("GET ") || l == PODS)
    );
}

#[tokio::test]
async fn the_fake_collects_garbage_like_the_api_server() {
    let fake = FakeApi::new();
    let owner = json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
                       "metadata": {"name": "db", "namespace": "imgup", "uid": "u-sts"}});
    fake.put(&format!("{STS}/db"), owner);
    let reference =
        json!([{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "uid": "u-sts"}]);
    for name in ["data-db-0", "data-db-1"] {
        fake.put(
            &format!("{PVCS}/{name}"),
            json!({"metadata": {"name": name, "uid": format!("u-{name}"), "ownerReferences": reference}}),
        );
    }
    fake.put(
        &format!("{PVCS}/mine"),
        json!({"metadata": {"name": "mine", "uid": "u-mine"}}),
    );
    let sts: Api<StatefulSet> = Api::namespaced(fake.client(), "imgup");
    sts.delete("db", &DeleteParams::background()).await.unwrap();
    let left: Vec<String> = fake
        .paths()
        .into_iter()
        .filter(|p| p.starts_with(PVCS))
        .collect();
    assert_eq!(left, vec![format!("{PVCS}/mine")]);

    // Orphaning only takes the references off.
    fake.put(
        &format!("{STS}/db"),
        json!({"metadata": {"name": "db", "uid": "u-sts"}}),
    );
    fake.put(
        &format!("{PVCS}/data-db-0"),
        json!({"metadata": {"name": "data-db-0", "ownerReferences": reference}}),
    );
    let orphan = DeleteParams {
        propagation_policy: Some(kube::api::PropagationPolicy::Orphan),
        ..DeleteParams::default()
    };
    sts.delete("db", &orphan).await.unwrap();
    let claim = fake.get(&format!("{PVCS}/data-db-0")).unwrap();
    assert_eq!(claim["metadata"]["ownerReferences"], json!([]));
}

/// Stands in for Garage's admin API: records each setup and answers with
/// `fail` when set.
#[derive(Default)]
struct RecordingGarage {
    calls: std::sync::Mutex<Vec<(String, String, crate::garage::SetupSpec)>>,
    fail: std::sync::Mutex<Option<String>>,
}

impl crate::garage::GarageSetup for RecordingGarage {
    fn setup<'a>(
        &'a self,
        admin_url: &'a str,
        admin_token: &'a str,
        spec: &'a crate::garage::SetupSpec,
    ) -> futures::future::BoxFuture<
        'a,
        Result<Vec<crate::garage::Action>, crate::garage::GarageError>,
    > {
        self.calls
            .lock()
            .unwrap()
            .push((admin_url.into(), admin_token.into(), spec.clone()));
        let fail = self.fail.lock().unwrap().clone();
        Box::pin(async move {
            match fail {
                Some(m) => Err(crate::garage::GarageError::Invalid(m)),
                None => Ok(vec![crate::garage::Action::CreatedBucket {
                    bucket: spec.buckets[0].clone(),
                }]),
            }
        })
    }
}

fn garage_context(fake: &FakeApi) -> (Arc<Context>, Arc<RecordingGarage>) {
    let garage = Arc::new(RecordingGarage::default());
    let metrics = Metrics::register(&mut Registry::default());
    let reporter = Reporter {
        controller: "imgup-operator".into(),
        instance: None,
    };
    let ctx = Context::new(fake.client(), metrics, reporter).with_garage_setup(garage.clone());
    (Arc::new(ctx), garage)
}

fn generated_value(fake: &FakeApi, key: &str) -> String {
    let b64 = generated_data(fake)[key].as_str().unwrap().to_string();
    use base64::Engine as _;
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn garage_is_applied_without_a_bucket_job_and_set_up_through_its_admin_api() {
    let fake = FakeApi::new();
    let mut spec = ImageUploadStackSpec::default();
    spec.storage.garage = Some(crate::crd::GarageSpec {
        size: "20Gi".into(),
        ..crate::crd::GarageSpec::default()
    });
    store_stack(&fake, spec, true);
    let (ctx, garage) = garage_context(&fake);

    // First pass: Garage's objects, no MinIO, no Job; the pod is not ready,
    // so no setup yet.
    assert_eq!(
        pass(&fake, &ctx).await.unwrap(),
        Action::requeue(REQUEUE_PROGRESSING)
    );
    for p in [
        format!("{CM}/demo-garage"),
        format!("{SVC}/demo-garage"),
        format!("{STS}/demo-garage"),
    ] {
        let o = fake.get(&p).unwrap_or_else(|| panic!("{p} applied"));
        assert_eq!(o["metadata"]["ownerReferences"][0]["name"], "demo", "{p}");
        assert!(
            o["metadata"]["annotations"][crate::resources::SPEC_HASH_ANNOTATION].is_string(),
            "{p}"
        );
    }
    let sts = fake.get(&format!("{STS}/demo-garage")).unwrap();
    assert!(sts["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH_ANNOTATION].is_string());
    assert!(fake.get(&format!("{STS}/demo-minio")).is_none());
    assert!(
        !fake.paths().iter().any(|p| p.starts_with(JOBS)),
        "no mc Job"
    );
    let api = fake.get(&format!("{CM}/demo-api-config")).unwrap();
    assert_eq!(
        api["data"]["S3_ENDPOINT"],
        "http://demo-garage.imgup.svc:3900"
    );
    assert_eq!(api["data"]["S3_REGION"], "us-east-1");
    assert_eq!(api["data"]["S3_FORCE_PATH_STYLE"], "true");
    let deploy = fake.get(&format!("{DEPLOY}/demo-api")).unwrap();
    let env = deploy["spec"]["template"]["spec"]["containers"][0]["env"].clone();
    assert!(
        env.as_array()
            .unwrap()
            .iter()
            .any(|e| e["valueFrom"]["secretKeyRef"]["key"] == "garage-access-key-id"),
        "{env:#}"
    );
    assert!(garage.calls.lock().unwrap().is_empty());
    assert_eq!(condition(&fake, "BucketsReady")["status"], "False");
    assert_eq!(condition(&fake, "BucketsReady")["reason"], "Pending");

    // Ready pod: a setup error is the condition's reason, the pass goes on.
    fake.mark_ready();
    *garage.fail.lock().unwrap() = Some("no answer".into());
    assert_eq!(
        pass(&fake, &ctx).await.unwrap(),
        Action::requeue(REQUEUE_PROGRESSING)
    );
    let buckets = condition(&fake, "BucketsReady");
    assert_eq!(buckets["status"], "False");
    assert_eq!(buckets["reason"], "GarageSetupFailed");
    assert!(
        buckets["message"].as_str().unwrap().contains("no answer"),
        "{buckets}"
    );
    assert_eq!(condition(&fake, "Ready")["status"], "False");
    assert_eq!(condition(&fake, "StorageReady")["status"], "True");

    // It succeeds: Ready, with the spec the stack asks for.
    *garage.fail.lock().unwrap() = None;
    assert_eq!(
        pass(&fake, &ctx).await.unwrap(),
        Action::requeue(REQUEUE_READY)
    );
    assert_eq!(condition(&fake, "BucketsReady")["status"], "True");
    assert_eq!(condition(&fake, "Ready")["status"], "True");
    assert!(event_reasons(&fake).contains(&"GarageSetUp".to_string()));
    let calls = garage.calls.lock().unwrap();
    assert_eq!(calls.len(), 2);
    let (url, token, spec) = &calls[1];
    assert_eq!(url, "http://demo-garage.imgup.svc:3903");
    assert_eq!(token, &generated_value(&fake, "garage-admin-token"));
    assert_eq!(
        spec.access_key_id,
        generated_value(&fake, "garage-access-key-id")
    );
    assert!(crate::garage::is_native_key_id(&spec.access_key_id));
    assert_eq!(spec.secret_key, generated_value(&fake, "garage-secret-key"));
    assert_eq!(spec.capacity_bytes, 20 << 30);
    let stack = current(&fake);
    assert_eq!(spec.buckets, vec![stack.spec.buckets.uploads.clone()]);
    assert_eq!(
        spec.cors_allowed_origins,
        stack.spec.buckets.cors_allowed_origins
    );
    assert_eq!(
        spec.incoming_expire_days,
        Some(buckets::INCOMING_EXPIRE_DAYS)
    );
}

#[tokio::test]
async fn switching_minio_to_garage_removes_minio_and_keeps_its_data() {
    let fake = FakeApi::new();
    store_stack(&fake, ImageUploadStackSpec::default(), true);
    let (ctx, garage) = garage_context(&fake);
    pass(&fake, &ctx).await.unwrap();
    store_claim_and_pod_of(&fake, "demo-minio", false);
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    assert_eq!(condition(&fake, "Ready")["status"], "True");
    fake.take_log();

    edit_spec(&fake, |s| s["storage"] = json!({"garage": {}}));
    pass(&fake, &ctx).await.unwrap();
    let log = writes(&fake.take_log());
    let deletes: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with("DELETE ") || l.starts_with("PATCH[merge]"))
        .filter(|l| !l.contains("/jobs/"))
        .collect();
    assert_eq!(
        deletes,
        [
            &format!("DELETE {SVC}/demo-minio"),
            &format!("DELETE {STS}/demo-minio"),
        ],
        "{log:#?}"
    );
    assert!(fake.get(&format!("{PVCS}/data-demo-minio-0")).is_some());
    assert!(fake.get(&format!("{STS}/demo-garage")).is_some());
    assert!(fake.get(&format!("{SVC}/demo-garage")).is_some());
    assert!(fake.get(&format!("{STS}/demo-postgres")).is_some());
    // Not ready yet: no setup, not Ready.
    assert!(garage.calls.lock().unwrap().is_empty());
    assert_eq!(condition(&fake, "Ready")["status"], "False");
    fake.mark_ready();
    pass(&fake, &ctx).await.unwrap();
    assert_eq!(garage.calls.lock().unwrap().len(), 1);
    assert_eq!(condition(&fake, "Ready")["status"], "True");
}
