//! The reconciler: one `ImageUploadStack` in, the platform out.
//!
//! Each pass: check the spec (a bad one becomes a condition), make sure the
//! generated Secret exists (created once; lost while the data volumes made
//! with its passwords remain, it becomes a condition too), read the
//! Secrets the user named, then server-side apply every object whose
//! `imgup.dev/spec-hash` differs from what is in the cluster. An unchanged
//! stack therefore costs only reads. Objects of the kinds a stack has only
//! under some specs that its spec no longer wants (MinIO's StatefulSet after
//! a switch to external S3, an autoscaler or the Ingress turned off) are
//! then deleted, the data volumes always kept. Last, the status is patched
//! when, and only when, it changed. Deletion goes through a finalizer that
//! honours the retention policy.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Pod, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::crd::{
    Database, FINALIZER, ImageUploadStack, ImageUploadStackStatus, RetentionPolicy, Storage,
};
use crate::error::Error;
use crate::garage::GarageSetup;
use crate::metrics::Metrics;
use crate::resources::{
    self, Desired, FIELD_MANAGER, Inputs, REPLICAS_HANDOVER_MANAGER, SPEC_HASH_ANNOTATION, config,
    secrets,
};
use crate::{pods, status, validate, volumes};

/// How soon to look again while components are still coming up, and once
/// everything is ready.
pub const REQUEUE_PROGRESSING: Duration = Duration::from_secs(10);
pub const REQUEUE_READY: Duration = Duration::from_secs(300);
/// Missing Secrets are not watched; look again this often.
pub const REQUEUE_MISSING_SECRET: Duration = Duration::from_secs(30);

pub struct Context {
    pub client: Client,
    pub metrics: Metrics,
    pub recorder: Recorder,
    /// Consecutive failures per stack, for the retry backoff.
    pub failures: Mutex<HashMap<String, u32>>,
    /// What each object looked like (generation, or resourceVersion for
    /// kinds without one) right after this process last applied or checked
    /// it. A different value later means someone else changed the object,
    /// and it is applied again (drift correction).
    pub seen_versions: Mutex<HashMap<String, String>>,
    /// Per stack, a hash of the objects of the optional kinds
    /// ([`resources::OPTIONAL_KINDS`]) it wanted when this process last
    /// pruned it completely. Pruning lists every such kind, so it runs only
    /// when that set changed, and once after start-up (whatever the spec
    /// dropped while no operator ran is unknown).
    pub pruned: Mutex<HashMap<String, String>>,
    /// Runs the setup of an in-cluster Garage through its admin API
    /// ([`crate::garage::AdminApiSetup`]; a recording fake in the tests).
    pub garage: Arc<dyn GarageSetup>,
}

impl Context {
    pub fn new(client: Client, metrics: Metrics, reporter: Reporter) -> Self {
        Self {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            metrics,
            failures: Mutex::new(HashMap::new()),
            seen_versions: Mutex::new(HashMap::new()),
            pruned: Mutex::new(HashMap::new()),
            garage: Arc::new(crate::garage::AdminApiSetup),
        }
    }

    /// The same context with another way to set Garage up.
    pub fn with_garage_setup(mut self, garage: Arc<dyn GarageSetup>) -> Self {
        self.garage = garage;
        self
    }
}

fn key(stack: &ImageUploadStack) -> String {
    format!(
        "{}/{}",
        stack.namespace().unwrap_or_default(),
        stack.name_any()
    )
}

/// The controller entry point (through the finalizer helper). Every log
/// line of a pass carries the stack as `namespace/name`.
#[tracing::instrument(skip_all, fields(stack = %key(&stack)))]
pub async fn reconcile(stack: Arc<ImageUploadStack>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = Instant::now();
    let ns = stack.namespace().ok_or(Error::NoNamespace)?;
    let stacks: Api<ImageUploadStack> = Api::namespaced(ctx.client.clone(), &ns);
    let k = key(&stack);
    let result = finalizer(&stacks, FINALIZER, stack, |event| async {
        match event {
            Finalizer::Apply(s) => apply(&s, &ctx).await,
            Finalizer::Cleanup(s) => cleanup(&s, &ctx).await,
        }
    })
    .await
    .map_err(|e| Error::Finalizer(Box::new(e)));
    ctx.metrics.observe(
        started.elapsed(),
        result.as_ref().err().map(Error::metric_label),
    );
    if result.is_ok() {
        ctx.failures.lock().unwrap().remove(&k);
    }
    result
}

/// Retries with exponential backoff per stack: 5 s, 10 s, 20 s … up to 5 min.
pub fn error_policy(stack: Arc<ImageUploadStack>, error: &Error, ctx: Arc<Context>) -> Action {
    let mut failures = ctx.failures.lock().unwrap();
    let n = failures.entry(key(&stack)).or_insert(0);
    *n = n.saturating_add(1);
    let delay = backoff(*n);
    tracing::warn!(stack = %key(&stack), attempt = *n, retry_in = ?delay, "reconcile failed: {error}");
    Action::requeue(delay)
}

pub fn backoff(attempt: u32) -> Duration {
    let secs = 5u64.saturating_mul(1u64 << attempt.saturating_sub(1).min(16));
    Duration::from_secs(secs.min(300))
}

/// What the cluster reported back for the objects of one pass.
#[derive(Default)]
struct Observed {
    deployments: BTreeMap<String, Deployment>,
    stateful_sets: BTreeMap<String, StatefulSet>,
    job: Option<Job>,
    changed: Vec<String>,
}

/// Longest Event note the API server takes.
const MAX_NOTE_BYTES: usize = 1024;

/// The note cut to what the API server takes, at a character boundary.
fn fit_note(mut note: String) -> String {
    if note.len() > MAX_NOTE_BYTES {
        let mut end = MAX_NOTE_BYTES - '…'.len_utf8();
        while !note.is_char_boundary(end) {
            end -= 1;
        }
        note.truncate(end);
        note.push('…');
    }
    note
}

/// Records an Event on the stack. Events are for people reading `kubectl
/// describe`; one that cannot be written (a namespace being deleted refuses
/// every create) is logged and never stops the pass.
async fn publish(
    ctx: &Context,
    stack: &ImageUploadStack,
    type_: EventType,
    reason: &str,
    note: String,
) {
    ctx.metrics.writes.inc();
    let event = Event {
        type_,
        reason: reason.into(),
        note: Some(fit_note(note)),
        action: "Reconcile".into(),
        secondary: None,
    };
    if let Err(err) = ctx.recorder.publish(&event, &stack.object_ref(&())).await {
        tracing::warn!(stack = %stack.name_any(), reason, "cannot record an Event: {err}");
    }
}

async fn apply(stack: &ImageUploadStack, ctx: &Context) -> Result<Action, Error> {
    let ns = stack.namespace().ok_or(Error::NoNamespace)?;
    let client = ctx.client.clone();

    let mut problems = validate::problems(&stack.spec);
    problems.extend(validate::name_problem(&stack.name_any()));
    if !problems.is_empty() {
        let message = problems.join("; ");
        let st = status::not_ready(stack, "InvalidSpec", &message, Timestamp::now());
        patch_status(stack, ctx, st).await?;
        return Ok(Action::await_change());
    }

    // Secrets: the generated one (created once) and every one the user named.
    let mut inputs = Inputs::default();
    let generated = match ensure_generated_secret(stack, ctx).await? {
        Generated::Present(s) => s,
        Generated::Lost {
            claims,
            stateful_sets,
        } => {
            let message = lost_secret_message(stack, &ns, &claims, &stateful_sets);
            tracing::warn!("{message}");
            let st = status::not_ready(stack, "GeneratedSecretLost", &message, Timestamp::now());
            patch_status(stack, ctx, st).await?;
            return Ok(Action::requeue(REQUEUE_MISSING_SECRET));
        }
    };
    inputs
        .secrets
        .insert(secrets::generated_name(stack), secret_data(&generated));
    let secret_api: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let refs = secrets::user_secret_refs(stack);
    let mut names: Vec<&String> = refs.iter().map(|r| &r.name).collect();
    names.dedup();
    for name in names {
        if let Some(s) = secret_api.get_opt(name).await? {
            inputs.secrets.insert(name.clone(), secret_data(&s));
        }
    }
    let missing: Vec<String> = refs
        .iter()
        .filter(|r| inputs.value(r).is_none())
        .map(|r| format!("{}/{}", r.name, r.key))
        .collect();
    if !missing.is_empty() {
        let message = format!("missing Secret keys: {}", missing.join(", "));
        let st = status::not_ready(stack, "SecretNotFound", &message, Timestamp::now());
        patch_status(stack, ctx, st).await?;
        return Ok(Action::requeue(REQUEUE_MISSING_SECRET));
    }
    if let Some(pw) = secrets::postgres_password(stack)
        && let Some(v) = inputs.value(&pw)
        && !v
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(b))
    {
        let message = format!(
            "Secret {}/{}: the Postgres password must use URL-safe characters only (A-Z a-z 0-9 - . _ ~)",
            pw.name, pw.key
        );
        let st = status::not_ready(stack, "InvalidSecret", &message, Timestamp::now());
        patch_status(stack, ctx, st).await?;
        return Ok(Action::requeue(REQUEUE_MISSING_SECRET));
    }

    // The objects. One the API server refuses does not hold up the others.
    let mut seen = Observed::default();
    let mut refused = Vec::new();
    let desired = resources::desired_objects(stack, &inputs);
    let wanted = optional_objects(&desired);
    for desired in desired {
        let label = format!("{}/{}", desired.kind(), desired.name());
        let outcome = match desired {
            Desired::ConfigMap(o) => apply_one::<ConfigMap>(ctx, &ns, o).await.map(|(_, c)| c),
            Desired::Service(o) => apply_one::<Service>(ctx, &ns, o).await.map(|(_, c)| c),
            Desired::StatefulSet(o) => {
                apply_stateful_set(ctx, &ns, o, &mut refused)
                    .await
                    .map(|(o, c)| {
                        seen.stateful_sets.insert(o.name_any(), o);
                        c
                    })
            }
            Desired::Deployment(o) => apply_deployment(ctx, &ns, o).await.map(|(o, c)| {
                seen.deployments.insert(o.name_any(), o);
                c
            }),
            Desired::Job(o) => apply_one(ctx, &ns, o).await.map(|(o, c)| {
                seen.job = Some(o);
                c
            }),
            Desired::HorizontalPodAutoscaler(o) => {
                apply_one::<HorizontalPodAutoscaler>(ctx, &ns, o)
                    .await
                    .map(|(_, c)| c)
            }
            Desired::PodDisruptionBudget(o) => apply_one::<PodDisruptionBudget>(ctx, &ns, o)
                .await
                .map(|(_, c)| c),
            Desired::Ingress(o) => apply_one::<Ingress>(ctx, &ns, o).await.map(|(_, c)| c),
        };
        match outcome {
            Ok(true) => {
                ctx.metrics.writes.inc();
                seen.changed.push(label);
            }
            Ok(false) => {}
            // The API server refused the object as written (an immutable
            // field changed, a quota, an admission policy): say so in the
            // status instead of hammering it, and apply the rest.
            Err(Error::Kube(kube::Error::Api(s))) if matches!(s.code, 400 | 403 | 422) => {
                tracing::warn!(object = %label, "the API server refused it: {}", s.message);
                refused.push(format!("{label} rejected: {}", s.message));
            }
            Err(e) => return Err(e),
        }
    }

    if let Some(job) = &seen.job
        && seen.changed.iter().any(|c| c.starts_with("Job/"))
    {
        delete_stale_jobs(stack, ctx, &job.name_any()).await?;
    }
    let pruning = prune_if_changed(stack, ctx, &ns, &wanted).await?;
    if !seen.changed.is_empty() {
        tracing::info!(objects = ?seen.changed, "applied");
        let note = format!("applied {}", seen.changed.join(", "));
        publish(ctx, stack, EventType::Normal, "Applied", note).await;
    }
    pruning.publish(ctx, stack).await;
    // Come back soon for a StatefulSet still waiting to be pruned.
    let at_most = |after: Duration| {
        Action::requeue(if pruning.waiting.is_empty() {
            after
        } else {
            after.min(REQUEUE_PROGRESSING)
        })
    };

    if !refused.is_empty() {
        let st = status::not_ready(stack, "Rejected", &refused.join("; "), Timestamp::now());
        patch_status(stack, ctx, st).await?;
        return Ok(at_most(REQUEUE_READY));
    }

    let garage = match stack.spec.storage() {
        Storage::Garage(_) => Some(garage_setup(stack, ctx, &inputs, &seen).await),
        _ => None,
    };
    let mut checks = component_checks(stack, &seen, garage);
    if checks.iter().any(|c| !c.ok) {
        explain_with_pods(stack, ctx, &ns, &mut checks).await;
    }
    let all_ready = checks.iter().all(|c| c.ok);
    let st = status::from_checks(stack, &checks, config::endpoints(stack), Timestamp::now());
    patch_status(stack, ctx, st).await?;
    Ok(at_most(if all_ready {
        REQUEUE_READY
    } else {
        REQUEUE_PROGRESSING
    }))
}

/// Gives each component that is not ready the reason its pods show
/// (`ImagePullBackOff`, `CrashLoopBackOff`, …), from one list of the stack's
/// pods. A failed list only leaves the checks as they were.
async fn explain_with_pods(
    stack: &ImageUploadStack,
    ctx: &Context,
    ns: &str,
    checks: &mut [status::Check],
) {
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), ns);
    let selector = resources::stack_selector(stack);
    let pods = match api.list(&ListParams::default().labels(&selector)).await {
        Ok(list) => list.items,
        Err(err) => {
            tracing::warn!(stack = %stack.name_any(), "cannot list the stack's pods: {err}");
            return;
        }
    };
    let garage = matches!(stack.spec.storage(), Storage::Garage(_));
    for check in checks.iter_mut().filter(|c| !c.ok && c.reason != "Pending") {
        let component = match check.type_ {
            status::STORAGE if garage => Some(resources::garage::COMPONENT),
            t => status::component_of(t),
        };
        if let Some(component) = component
            && let Some((reason, message)) = pods::trouble(&pods, component)
        {
            check.reason = reason;
            check.message = message;
        }
    }
}

/// Sets the in-cluster Garage up through its admin API once its pod is
/// ready (the node's layout, the S3 key, the bucket with its CORS and
/// lifecycle rules; idempotent, so every pass runs it) and gives the
/// `BucketsReady` check: ready only after a setup succeeded. A failure is
/// the check's reason, never an error of the pass.
async fn garage_setup(
    stack: &ImageUploadStack,
    ctx: &Context,
    inputs: &Inputs,
    seen: &Observed,
) -> status::Check {
    let name = resources::child_name(stack, resources::garage::COMPONENT);
    if !status::stateful_set(status::STORAGE, seen.stateful_sets.get(&name)).ok {
        return status::Check::new(
            status::BUCKETS,
            false,
            "Pending",
            "waiting for the Garage pod to be ready before setting it up",
        );
    }
    let (token, spec) = match resources::garage::setup_spec(stack, inputs) {
        Some(Ok(s)) => s,
        Some(Err(message)) => {
            return status::Check::new(status::BUCKETS, false, "GarageSetupFailed", message);
        }
        None => return status::Check::new(status::BUCKETS, true, "Created", "no Garage"),
    };
    let url = resources::garage::admin_url(stack);
    match ctx.garage.setup(&url, &token, &spec).await {
        Ok(actions) => {
            if !actions.is_empty() {
                let done: Vec<String> = actions.iter().map(ToString::to_string).collect();
                let note = format!("set Garage up: {}", done.join(", "));
                tracing::info!("{note}");
                publish(ctx, stack, EventType::Normal, "GarageSetUp", note).await;
            }
            status::Check::new(
                status::BUCKETS,
                true,
                "Created",
                format!("Garage set up with bucket {}", spec.buckets.join(", ")),
            )
        }
        Err(err) => {
            tracing::warn!("the Garage setup failed: {err}");
            status::Check::new(
                status::BUCKETS,
                false,
                "GarageSetupFailed",
                format!("setting Garage up through its admin API at {url} failed: {err}"),
            )
        }
    }
}

/// The component checks; `garage_buckets` is the Garage setup's check,
/// which stands in for the bucket Job's with `storage.garage`.
fn component_checks(
    stack: &ImageUploadStack,
    seen: &Observed,
    garage_buckets: Option<status::Check>,
) -> Vec<status::Check> {
    let named = |suffix: &str| resources::child_name(stack, suffix);
    vec![
        match stack.spec.database() {
            Database::Postgres(_) => {
                status::stateful_set(status::DATABASE, seen.stateful_sets.get(&named("postgres")))
            }
            Database::External(_) => status::external(status::DATABASE, "database"),
        },
        match stack.spec.storage() {
            Storage::Minio(_) => {
                status::stateful_set(status::STORAGE, seen.stateful_sets.get(&named("minio")))
            }
            Storage::Garage(_) => status::stateful_set(
                status::STORAGE,
                seen.stateful_sets.get(&named(resources::garage::COMPONENT)),
            ),
            Storage::External(_) => status::external(status::STORAGE, "S3"),
        },
        garage_buckets.unwrap_or_else(|| status::job(status::BUCKETS, seen.job.as_ref())),
        status::deployment(status::API, seen.deployments.get(&named("api"))),
        status::deployment(status::AUTH, seen.deployments.get(&named("auth"))),
    ]
}

fn secret_data(s: &Secret) -> BTreeMap<String, Vec<u8>> {
    let mut out: BTreeMap<String, Vec<u8>> = s
        .data
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect();
    for (k, v) in s.string_data.iter().flatten() {
        out.insert(k.clone(), v.clone().into_bytes());
    }
    out
}

/// The marker that moves when someone changes an object's spec: its
/// `generation` (not bumped by status updates), or the `resourceVersion` for
/// kinds without a generation (ConfigMap, Service).
fn version_marker(meta: &kube::api::ObjectMeta) -> Option<String> {
    meta.generation
        .map(|g| format!("g{g}"))
        .or_else(|| meta.resource_version.as_ref().map(|rv| format!("rv{rv}")))
}

/// Server-side applies `desired` unless the cluster already holds it: the
/// spec hash matches and nobody changed the object since this process last
/// applied or checked it. Returns what the cluster holds and whether it
/// wrote.
async fn apply_one<K>(ctx: &Context, ns: &str, desired: K) -> Result<(K, bool), Error>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + Debug
        + Serialize
        + DeserializeOwned,
{
    let api: Api<K> = Api::namespaced(ctx.client.clone(), ns);
    let name = desired.meta().name.clone().unwrap_or_default();
    let existing = api.get_opt(&name).await?;
    apply_over(ctx, &api, ns, desired, existing).await
}

/// A Deployment whose replica count an autoscaler is to set is applied
/// without one. When the operator's field manager still owns the count
/// (autoscaling was just turned on), the count is first handed to
/// [`REPLICAS_HANDOVER_MANAGER`] at its current value, so that the apply
/// leaving it out does not remove it (the API server would default it to
/// 1), and the autoscaler takes it from there.
async fn apply_deployment(
    ctx: &Context,
    ns: &str,
    desired: Deployment,
) -> Result<(Deployment, bool), Error> {
    let api: Api<Deployment> = Api::namespaced(ctx.client.clone(), ns);
    let name = desired.name_any();
    let existing = api.get_opt(&name).await?;
    let autoscaled = desired.spec.as_ref().is_some_and(|s| s.replicas.is_none());
    if autoscaled
        && let Some(existing) = &existing
        && let Some(count) = existing.spec.as_ref().and_then(|s| s.replicas)
        && owns_replicas(existing, FIELD_MANAGER)
    {
        let hand_over = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {"replicas": count},
        });
        let params = PatchParams::apply(REPLICAS_HANDOVER_MANAGER).force();
        api.patch(&name, &params, &Patch::Apply(&hand_over)).await?;
        ctx.metrics.writes.inc();
    }
    apply_over(ctx, &api, ns, desired, existing).await
}

/// Whether `manager`'s server-side apply owns the Deployment's
/// `spec.replicas`, by its managed fields.
fn owns_replicas(d: &Deployment, manager: &str) -> bool {
    d.metadata.managed_fields.iter().flatten().any(|m| {
        m.manager.as_deref() == Some(manager)
            && m.operation.as_deref() == Some("Apply")
            && m.fields_v1
                .as_ref()
                .is_some_and(|f| f.0["f:spec"].get("f:replicas").is_some())
    })
}

/// A StatefulSet keeps the volume claim templates it was created with (the
/// API server refuses any change to them): a new size is applied to its
/// claims instead, and what cannot be changed is reported in `refused`.
async fn apply_stateful_set(
    ctx: &Context,
    ns: &str,
    mut desired: StatefulSet,
    refused: &mut Vec<String>,
) -> Result<(StatefulSet, bool), Error> {
    let api: Api<StatefulSet> = Api::namespaced(ctx.client.clone(), ns);
    let existing = api.get_opt(&desired.name_any()).await?;
    if let Some(existing) = &existing {
        let claims: Api<PersistentVolumeClaim> = Api::namespaced(ctx.client.clone(), ns);
        refused.extend(volumes::fit_claims(&claims, &mut desired, existing).await?);
    }
    apply_over(ctx, &api, ns, desired, existing).await
}

/// [`apply_one`] once the cluster's copy (`existing`) has been read.
async fn apply_over<K>(
    ctx: &Context,
    api: &Api<K>,
    ns: &str,
    desired: K,
    existing: Option<K>,
) -> Result<(K, bool), Error>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + Debug
        + Serialize
        + DeserializeOwned,
{
    let name = desired.meta().name.clone().unwrap_or_default();
    let key = format!("{}/{ns}/{name}", K::kind(&()));
    let want = desired
        .meta()
        .annotations
        .as_ref()
        .and_then(|a| a.get(SPEC_HASH_ANNOTATION))
        .cloned();
    if let Some(existing) = existing {
        let have = existing
            .meta()
            .annotations
            .as_ref()
            .and_then(|a| a.get(SPEC_HASH_ANNOTATION));
        let marker = version_marker(existing.meta());
        let mut seen = ctx.seen_versions.lock().unwrap();
        let untouched = match (seen.get(&key), &marker) {
            (Some(before), Some(now)) => before == now,
            // First sight since start-up: whatever changed while no operator
            // was watching is unknown, so apply once. Applying what the
            // object already holds changes nothing (no new generation, no
            // rollout); it only costs the write.
            _ => false,
        };
        if want.is_some() && have == want.as_ref() && untouched {
            if let Some(m) = marker {
                seen.insert(key, m);
            }
            return Ok((existing, false));
        }
    }
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let applied = api.patch(&name, &params, &Patch::Apply(&desired)).await?;
    if let Some(m) = version_marker(applied.meta()) {
        ctx.seen_versions.lock().unwrap().insert(key, m);
    }
    Ok((applied, true))
}

/// The objects of the optional kinds the stack wants, as `(kind, name)`.
fn optional_objects(desired: &[Desired]) -> BTreeSet<(&'static str, String)> {
    desired
        .iter()
        .filter(|d| resources::OPTIONAL_KINDS.contains(&d.kind()))
        .map(|d| (d.kind(), d.name().to_owned()))
        .collect()
}

/// What one prune did.
#[derive(Default)]
struct Pruning {
    /// Deleted, as `Kind/name`.
    removed: Vec<String>,
    /// The data volume claims of deleted StatefulSets, kept.
    kept_claims: Vec<String>,
    /// StatefulSets not deleted yet, and why.
    waiting: Vec<String>,
}

impl Pruning {
    async fn publish(&self, ctx: &Context, stack: &ImageUploadStack) {
        if !self.removed.is_empty() {
            let mut note = format!("removed {}", self.removed.join(", "));
            if !self.kept_claims.is_empty() {
                note.push_str(&format!(
                    "; kept their data volume claims {} (move the data off them, then delete them)",
                    self.kept_claims.join(", ")
                ));
            }
            tracing::info!("{note}");
            publish(ctx, stack, EventType::Normal, "Pruned", note).await;
        }
        if !self.waiting.is_empty() {
            let note = self.waiting.join("; ");
            tracing::info!("{note}");
            publish(ctx, stack, EventType::Normal, "Pruning", note).await;
        }
    }
}

/// Deletes the stack's objects of the optional kinds that `wanted` no
/// longer names, when `wanted` differs from what this process last pruned
/// the stack for (an unchanged stack costs no lists).
async fn prune_if_changed(
    stack: &ImageUploadStack,
    ctx: &Context,
    ns: &str,
    wanted: &BTreeSet<(&'static str, String)>,
) -> Result<Pruning, Error> {
    let k = key(stack);
    let fingerprint = resources::hash_json(wanted);
    if ctx.pruned.lock().unwrap().get(&k) == Some(&fingerprint) {
        return Ok(Pruning::default());
    }
    let names = |kind: &str| -> BTreeSet<&str> {
        wanted
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| n.as_str())
            .collect()
    };
    let services = unwanted::<Service>(stack, ctx, ns, &names("Service")).await?;
    let stateful_sets = unwanted::<StatefulSet>(stack, ctx, ns, &names("StatefulSet")).await?;
    let autoscalers =
        unwanted::<HorizontalPodAutoscaler>(stack, ctx, ns, &names("HorizontalPodAutoscaler"))
            .await?;
    let budgets =
        unwanted::<PodDisruptionBudget>(stack, ctx, ns, &names("PodDisruptionBudget")).await?;
    let ingresses = unwanted::<Ingress>(stack, ctx, ns, &names("Ingress")).await?;
    let mut pruning = Pruning::default();
    let mut kept_claims = Vec::new();
    for sts in &stateful_sets {
        if let Some(claims) = let_go_of_claims(ctx, ns, sts, &mut pruning).await? {
            kept_claims.extend(claims);
        }
    }
    // All at once, when every StatefulSet can go: a MinIO Service does not
    // outlive its StatefulSet, and one Event names everything removed (the
    // Event recorder folds later Events of the same reason into the first).
    if !pruning.waiting.is_empty() {
        return Ok(pruning);
    }
    for svc in &services {
        delete_pruned(ctx, ns, svc, &mut pruning).await?;
    }
    for sts in &stateful_sets {
        delete_pruned(ctx, ns, sts, &mut pruning).await?;
    }
    for hpa in &autoscalers {
        delete_pruned(ctx, ns, hpa, &mut pruning).await?;
    }
    for pdb in &budgets {
        delete_pruned(ctx, ns, pdb, &mut pruning).await?;
    }
    for ing in &ingresses {
        delete_pruned(ctx, ns, ing, &mut pruning).await?;
    }
    pruning.kept_claims = kept_claims;
    ctx.pruned.lock().unwrap().insert(k, fingerprint);
    Ok(pruning)
}

/// The stack's objects of kind `K` that are not `wanted`: labelled as the
/// stack's and controlled by this very stack (its uid, so that nothing of a
/// deleted and re-created namesake, or an object the user labelled alike,
/// is touched).
async fn unwanted<K>(
    stack: &ImageUploadStack,
    ctx: &Context,
    ns: &str,
    wanted: &BTreeSet<&str>,
) -> Result<Vec<K>, Error>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + Debug
        + DeserializeOwned,
{
    let api: Api<K> = Api::namespaced(ctx.client.clone(), ns);
    let selector = resources::stack_selector(stack);
    let list = api.list(&ListParams::default().labels(&selector)).await?;
    let uid = stack.uid();
    Ok(list
        .items
        .into_iter()
        .filter(|o| !wanted.contains(o.name_any().as_str()))
        .filter(|o| {
            o.owner_references()
                .iter()
                .any(|r| r.controller == Some(true) && Some(&r.uid) == uid.as_ref())
        })
        .collect())
}

/// Deletes a pruned object (its dependents, such as a StatefulSet's pods,
/// go in the background).
async fn delete_pruned<K>(
    ctx: &Context,
    ns: &str,
    obj: &K,
    pruning: &mut Pruning,
) -> Result<(), Error>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + Debug
        + DeserializeOwned,
{
    let api: Api<K> = Api::namespaced(ctx.client.clone(), ns);
    let name = obj.name_any();
    ctx.metrics.writes.inc();
    match api.delete(&name, &DeleteParams::background()).await {
        Ok(_) => {}
        // Gone already.
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => return Err(e.into()),
    }
    let kind = K::kind(&());
    ctx.seen_versions
        .lock()
        .unwrap()
        .remove(&format!("{kind}/{ns}/{name}"));
    pruning.removed.push(format!("{kind}/{name}"));
    Ok(())
}

/// Makes sure that deleting a StatefulSet leaves its data volume claims
/// alone, and returns the names of its claims once it does (`None`: not
/// yet; the reason is in `pruning.waiting`).
///
/// With `persistentVolumeClaimRetentionPolicy.whenDeleted: Delete` (a stack
/// whose retention is `Delete`), the StatefulSet controller makes the
/// StatefulSet an owner of its claims, and the garbage collector would
/// delete the claims with it: switching to external Postgres or S3 would
/// destroy the data before anyone migrated it. So the policy is first set
/// to `Retain`, and the StatefulSet is deleted only once its controller has
/// seen that (`observedGeneration`) and no claim of the namespace names the
/// StatefulSet as its owner any more.
async fn let_go_of_claims(
    ctx: &Context,
    ns: &str,
    sts: &StatefulSet,
    pruning: &mut Pruning,
) -> Result<Option<Vec<String>>, Error> {
    let name = sts.name_any();
    let label = format!("StatefulSet/{name}");
    let deletes_claims = sts
        .spec
        .as_ref()
        .and_then(|s| s.persistent_volume_claim_retention_policy.as_ref())
        .and_then(|p| p.when_deleted.as_deref())
        == Some("Delete");
    if deletes_claims {
        let api: Api<StatefulSet> = Api::namespaced(ctx.client.clone(), ns);
        let retain =
            json!({"spec": {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain"}}});
        api.patch(&name, &PatchParams::default(), &Patch::Merge(&retain))
            .await?;
        ctx.metrics.writes.inc();
        pruning.waiting.push(format!(
            "{label} is no longer wanted: its volume claims are set to be kept (whenDeleted: Retain), and it is removed once its controller has let go of them"
        ));
        return Ok(None);
    }
    let observed = sts.status.as_ref().and_then(|s| s.observed_generation);
    if observed < sts.metadata.generation {
        pruning.waiting.push(format!(
            "{label} is no longer wanted: waiting for its controller to see that its volume claims are kept"
        ));
        return Ok(None);
    }
    // Every claim of the namespace, not only those labelled as the stack's:
    // what decides is the owner reference.
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(ctx.client.clone(), ns);
    let uid = sts.uid();
    let templates: Vec<String> = sts
        .spec
        .iter()
        .flat_map(|s| s.volume_claim_templates.iter().flatten())
        .map(|t| t.name_any())
        .collect();
    // `<template>-<statefulset>-<ordinal>`: the names its controller gives.
    let made_by_it = |claim: &str| {
        templates.iter().any(|t| {
            claim
                .strip_prefix(&format!("{t}-{name}-"))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    let mut owned = Vec::new();
    let mut its = Vec::new();
    for claim in claims.list(&ListParams::default()).await? {
        let claim_name = claim.name_any();
        if claim
            .owner_references()
            .iter()
            .any(|r| Some(&r.uid) == uid.as_ref())
        {
            owned.push(format!("PersistentVolumeClaim/{claim_name}"));
        }
        if made_by_it(&claim_name) {
            its.push(format!("PersistentVolumeClaim/{claim_name}"));
        }
    }
    if !owned.is_empty() {
        pruning.waiting.push(format!(
            "{label} is no longer wanted: waiting for its controller to release {}",
            owned.join(", ")
        ));
        return Ok(None);
    }
    Ok(Some(its))
}

/// What became of the generated Secret.
enum Generated {
    Present(Box<Secret>),
    /// Gone after the stack ran, while data volume claims made with its
    /// passwords remain: not generated anew.
    Lost {
        claims: Vec<String>,
        /// The StatefulSets those claims belong to (by component).
        stateful_sets: Vec<String>,
    },
}

/// The generated Secret: created when absent, completed with fresh values
/// for keys it lacks, otherwise left exactly as it is.
///
/// Absent after the stack has run (it has a status), the Secret was
/// deleted. Postgres and MinIO keep the passwords they were first started
/// with in their data volumes, so new ones would lock the services out of
/// the data: while a claim of a store whose credentials the Secret held is
/// left, nothing is generated ([`Generated::Lost`]). Only with none left
/// (or with stores that use the user's own credentials) is it made anew.
async fn ensure_generated_secret(
    stack: &ImageUploadStack,
    ctx: &Context,
) -> Result<Generated, Error> {
    let ns = stack.namespace().ok_or(Error::NoNamespace)?;
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &ns);
    let name = secrets::generated_name(stack);
    if let Some(existing) = api.get_opt(&name).await? {
        let missing = secrets::missing_generated_keys(&existing);
        if missing.is_empty() {
            return Ok(Generated::Present(Box::new(existing)));
        }
        let fresh = secrets::generate_values();
        let data: BTreeMap<&str, k8s_openapi::ByteString> = missing
            .iter()
            .map(|k| (*k, k8s_openapi::ByteString(fresh[*k].clone().into_bytes())))
            .collect();
        let patched = api
            .patch(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({ "data": data })),
            )
            .await?;
        ctx.metrics.writes.inc();
        let note = format!("added {} to Secret {name}", missing.join(", "));
        publish(ctx, stack, EventType::Normal, "SecretCompleted", note).await;
        return Ok(Generated::Present(Box::new(patched)));
    }
    let ran_before = stack.status.is_some();
    if ran_before {
        let claims = claims_bound_to_generated_credentials(stack, ctx, &ns).await?;
        if !claims.is_empty() {
            let mut stateful_sets: Vec<String> = claims
                .iter()
                .map(|(_, component)| resources::child_name(stack, component))
                .collect();
            stateful_sets.sort();
            stateful_sets.dedup();
            return Ok(Generated::Lost {
                claims: claims.into_iter().map(|(name, _)| name).collect(),
                stateful_sets,
            });
        }
    }
    let secret = secrets::generated_secret(stack, secrets::generate_values());
    match api.create(&PostParams::default(), &secret).await {
        Ok(created) => {
            ctx.metrics.writes.inc();
            if ran_before {
                // This stack ran before, so the Secret was deleted; no data
                // volume holds its old passwords, but sessions signed with
                // the old JWT secret end.
                let note = format!(
                    "Secret {name} was missing and has been generated anew (no data volume claim made with its passwords is left); everyone signed in must sign in again"
                );
                tracing::warn!("{note}");
                publish(ctx, stack, EventType::Warning, "SecretRegenerated", note).await;
            } else {
                let note = format!("generated Secret {name}");
                publish(ctx, stack, EventType::Normal, "SecretGenerated", note).await;
            }
            Ok(Generated::Present(Box::new(created)))
        }
        // Another writer got there first: use theirs, never overwrite.
        Err(kube::Error::Api(s)) if s.code == 409 => {
            Ok(Generated::Present(Box::new(api.get(&name).await?)))
        }
        Err(e) => Err(e.into()),
    }
}

/// The stack's data volume claims (one list, by the stack's labels) of the
/// stores whose credentials come from the generated Secret, as (name,
/// component): Postgres unless the spec names `passwordSecretRef`, MinIO
/// unless it names `credentialsSecret`. A claim left from an in-cluster
/// store the stack no longer runs counts too (switched back, it would meet
/// new passwords), and so does one being deleted (until its pod is gone).
async fn claims_bound_to_generated_credentials(
    stack: &ImageUploadStack,
    ctx: &Context,
    ns: &str,
) -> Result<Vec<(String, String)>, Error> {
    let spec = &stack.spec;
    let own_password = spec
        .database
        .postgres
        .as_ref()
        .is_some_and(|p| p.password_secret_ref.is_some());
    let own_keys = spec
        .storage
        .minio
        .as_ref()
        .is_some_and(|m| m.credentials_secret.is_some());
    let mut bound = Vec::new();
    if !own_password {
        bound.push(resources::postgres::COMPONENT);
    }
    if !own_keys {
        bound.push(resources::minio::COMPONENT);
    }
    // Garage's claim is not bound: the setup imports a new S3 key, and a
    // single node cares for neither its RPC secret nor its admin token.
    let api: Api<PersistentVolumeClaim> = Api::namespaced(ctx.client.clone(), ns);
    let selector = resources::stack_selector(stack);
    let list = api.list(&ListParams::default().labels(&selector)).await?;
    let mut claims: Vec<(String, String)> = list
        .items
        .iter()
        .filter_map(|c| {
            let component = c.labels().get("app.kubernetes.io/component")?;
            bound
                .contains(&component.as_str())
                .then(|| (c.name_any(), component.clone()))
        })
        .collect();
    claims.sort();
    Ok(claims)
}

/// `Ready`'s message while the generated Secret is lost. The claims go
/// with their StatefulSets: a StatefulSet left running would make a new,
/// empty claim for its pod at once (and the operator applies none while the
/// Secret is lost).
fn lost_secret_message(
    stack: &ImageUploadStack,
    ns: &str,
    claims: &[String],
    stateful_sets: &[String],
) -> String {
    let name = secrets::generated_name(stack);
    format!(
        "Secret {name} was deleted, but the volume claims {} still hold data made with its passwords, which new ones would not open. Restore the Secret from a backup (kubectl -n {ns} apply -f <backup>; the stack goes on by itself), or, to start afresh without that data, delete the volume claims together with their StatefulSets (kubectl -n {ns} delete statefulset --ignore-not-found {}; kubectl -n {ns} delete pvc {}); a new Secret is generated once no claim is left",
        claims.join(", "),
        stateful_sets.join(" "),
        claims.join(" ")
    )
}

/// Removes bucket Jobs of earlier specs.
async fn delete_stale_jobs(
    stack: &ImageUploadStack,
    ctx: &Context,
    current: &str,
) -> Result<(), Error> {
    let ns = stack.namespace().ok_or(Error::NoNamespace)?;
    let api: Api<Job> = Api::namespaced(ctx.client.clone(), &ns);
    let selector = format!(
        "{},app.kubernetes.io/component={}",
        resources::stack_selector(stack),
        resources::buckets::COMPONENT
    );
    for job in api.list(&ListParams::default().labels(&selector)).await? {
        if job.name_any() != current {
            ctx.metrics.writes.inc();
            api.delete(&job.name_any(), &DeleteParams::background())
                .await?;
        }
    }
    Ok(())
}

/// Patches the status subresource when it differs from what is stored, and
/// records an event when `Ready` changes.
async fn patch_status(
    stack: &ImageUploadStack,
    ctx: &Context,
    new: ImageUploadStackStatus,
) -> Result<(), Error> {
    if stack.status.as_ref() == Some(&new) {
        return Ok(());
    }
    let ns = stack.namespace().ok_or(Error::NoNamespace)?;
    let api: Api<ImageUploadStack> = Api::namespaced(ctx.client.clone(), &ns);
    let before = status::ready_condition(stack).map(|c| (c.status.clone(), c.reason.clone()));
    let patch = json!({
        "apiVersion": ImageUploadStack::api_version(&()),
        "kind": ImageUploadStack::kind(&()),
        "status": new,
    });
    let params = PatchParams::apply(FIELD_MANAGER).force();
    api.patch_status(&stack.name_any(), &params, &Patch::Apply(&patch))
        .await?;
    ctx.metrics.writes.inc();
    let ready = new.conditions.iter().find(|c| c.type_ == status::READY);
    if let Some(r) = ready
        && before != Some((r.status.clone(), r.reason.clone()))
    {
        tracing::info!(ready = %r.status, reason = %r.reason, "{}", r.message);
        let type_ = if r.status == "True" {
            EventType::Normal
        } else {
            EventType::Warning
        };
        publish(ctx, stack, type_, &r.reason, r.message.clone()).await;
    }
    Ok(())
}

/// The stack is being deleted. Owned objects go with it (garbage
/// collection); data volumes and the generated Secret stay unless the
/// retention policy is `Delete`.
async fn cleanup(stack: &ImageUploadStack, ctx: &Context) -> Result<Action, Error> {
    let ns = stack.namespace().ok_or(Error::NoNamespace)?;
    let prefix = format!("/{ns}/{}-", stack.name_any());
    ctx.seen_versions
        .lock()
        .unwrap()
        .retain(|k, _| !k.contains(&prefix));
    ctx.pruned.lock().unwrap().remove(&key(stack));
    match stack.spec.retention {
        RetentionPolicy::Delete => {
            let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(ctx.client.clone(), &ns);
            let selector = resources::stack_selector(stack);
            pvcs.delete_collection(
                &DeleteParams::default(),
                &ListParams::default().labels(&selector),
            )
            .await?;
            let secrets_api: Api<Secret> = Api::namespaced(ctx.client.clone(), &ns);
            match secrets_api
                .delete(&secrets::generated_name(stack), &DeleteParams::default())
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(e.into()),
            }
            ctx.metrics.writes.inc();
            let note = "deleted the data volume claims and the generated Secret".to_string();
            publish(ctx, stack, EventType::Normal, "DataDeleted", note).await;
        }
        RetentionPolicy::Retain => {
            let note = format!(
                "kept the data volume claims and Secret {} (retention: Retain)",
                secrets::generated_name(stack)
            );
            publish(ctx, stack, EventType::Normal, "DataRetained", note).await;
        }
    }
    Ok(Action::await_change())
}

/// Runs the controller until `shutdown` resolves.
pub async fn run(
    client: Client,
    ctx: Arc<Context>,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let stacks: Api<ImageUploadStack> = Api::all(client.clone());
    let owned =
        watcher::Config::default().labels(&format!("app.kubernetes.io/managed-by={FIELD_MANAGER}"));
    let controller = Controller::new(stacks, watcher::Config::default());
    let known = controller.store();
    controller
        .owns(Api::<Deployment>::all(client.clone()), owned.clone())
        .owns(Api::<StatefulSet>::all(client.clone()), owned.clone())
        .owns(Api::<Job>::all(client.clone()), owned.clone())
        .owns(Api::<Service>::all(client.clone()), owned.clone())
        .owns(Api::<ConfigMap>::all(client.clone()), owned.clone())
        .owns(
            Api::<HorizontalPodAutoscaler>::all(client.clone()),
            owned.clone(),
        )
        .owns(
            Api::<PodDisruptionBudget>::all(client.clone()),
            owned.clone(),
        )
        .owns(Api::<Ingress>::all(client.clone()), owned)
        // A Secret a stack reads (the generated one, or one the user named)
        // that changes or goes: reconcile the stacks of its namespace that
        // read it, at once rather than at the next resync.
        .watches(
            Api::<Secret>::all(client.clone()),
            watcher::Config::default(),
            move |secret: Secret| {
                let ns = secret.namespace();
                let name = secret.name_any();
                known
                    .state()
                    .into_iter()
                    .filter(|s| s.namespace() == ns && secrets::reads(s, &name))
                    .map(|s| ObjectRef::from_obj(&*s))
                    .collect::<Vec<_>>()
            },
        )
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, ctx)
        .for_each(|res| async move {
            match res {
                Ok((obj, _)) => tracing::debug!(
                    "reconciled {}/{}",
                    obj.namespace.unwrap_or_default(),
                    obj.name
                ),
                Err(e) => tracing::debug!("reconcile error: {e}"),
            }
        })
        .await;
}

#[cfg(test)]
#[path = "controller_tests.rs"]
mod tests;
