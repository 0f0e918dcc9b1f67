//! Status conditions: `Ready` plus one per component, each with a reason and
//! a message, computed from what the cluster reports about the objects the
//! operator applied. `lastTransitionTime` only moves when a condition's
//! status flips, so an unchanged stack gives an identical status (and the
//! reconciler sends no status patch).

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

use crate::crd::{Endpoints, ImageUploadStack, ImageUploadStackStatus};

pub const READY: &str = "Ready";
pub const DATABASE: &str = "DatabaseReady";
pub const STORAGE: &str = "StorageReady";
pub const BUCKETS: &str = "BucketsReady";
pub const API: &str = "ApiReady";
pub const AUTH: &str = "AuthReady";

/// One component's readiness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub type_: &'static str,
    pub ok: bool,
    pub reason: String,
    pub message: String,
}

impl Check {
    pub fn new(type_: &'static str, ok: bool, reason: &str, message: impl Into<String>) -> Self {
        Self {
            type_,
            ok,
            reason: reason.into(),
            message: message.into(),
        }
    }
}

fn missing(type_: &'static str, what: &str) -> Check {
    Check::new(type_, false, "Pending", format!("{what} not created yet"))
}

/// Ready when every wanted replica is updated and available, and the
/// Deployment controller has seen the latest spec.
pub fn deployment(type_: &'static str, d: Option<&Deployment>) -> Check {
    let Some(d) = d else {
        return missing(type_, "Deployment");
    };
    let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let st = d.status.clone().unwrap_or_default();
    let seen = st.observed_generation >= d.metadata.generation;
    let available = st.available_replicas.unwrap_or(0);
    let updated = st.updated_replicas.unwrap_or(0);
    if want == 0 {
        return Check::new(type_, true, "ScaledToZero", "0 replicas wanted");
    }
    let msg = format!("{available}/{want} replicas available, {updated}/{want} updated");
    if seen && available >= want && updated >= want {
        return Check::new(type_, true, "Available", msg);
    }
    // What the Deployment controller gave up on (a quota, an admission
    // webhook, a rollout that stopped moving) says more than the counts.
    let conditions = st.conditions.iter().flatten();
    for c in conditions {
        let gave_up = (c.type_ == "ReplicaFailure" && c.status == "True")
            || (c.type_ == "Progressing"
                && c.status == "False"
                && c.reason.as_deref() == Some("ProgressDeadlineExceeded"));
        if gave_up {
            let reason = c.reason.clone().unwrap_or_else(|| c.type_.clone());
            let detail = c.message.clone().unwrap_or_default();
            return Check::new(type_, false, &reason, format!("{msg}; {detail}"));
        }
    }
    Check::new(type_, false, "Progressing", msg)
}

/// The `app.kubernetes.io/component` of the pods behind a component check.
pub fn component_of(type_: &str) -> Option<&'static str> {
    Some(match type_ {
        API => "api",
        AUTH => "auth",
        DATABASE => "postgres",
        STORAGE => "minio",
        BUCKETS => "buckets",
        _ => return None,
    })
}

pub fn stateful_set(type_: &'static str, s: Option<&StatefulSet>) -> Check {
    let Some(s) = s else {
        return missing(type_, "StatefulSet");
    };
    let want = s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let st = s.status.clone().unwrap_or_default();
    let ready = st.ready_replicas.unwrap_or(0);
    let msg = format!("{ready}/{want} replicas ready");
    if ready >= want {
        Check::new(type_, true, "Available", msg)
    } else {
        Check::new(type_, false, "Progressing", msg)
    }
}

pub fn job(type_: &'static str, j: Option<&Job>) -> Check {
    let Some(j) = j else {
        return missing(type_, "bucket Job");
    };
    let st = j.status.clone().unwrap_or_default();
    let failed = st
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Failed" && c.status == "True");
    if st.succeeded.unwrap_or(0) >= 1 {
        Check::new(type_, true, "Created", "buckets created")
    } else if failed {
        Check::new(
            type_,
            false,
            "JobFailed",
            "the bucket job failed; see its pod logs",
        )
    } else {
        Check::new(type_, false, "Progressing", "bucket job running")
    }
}

/// A component the stack does not run itself.
pub fn external(type_: &'static str, what: &str) -> Check {
    Check::new(type_, true, "External", format!("using external {what}"))
}

fn condition(stack: &ImageUploadStack, c: &Check, now: &Timestamp) -> Condition {
    let status = if c.ok { "True" } else { "False" };
    let previous = stack
        .status
        .as_ref()
        .and_then(|s| s.conditions.iter().find(|p| p.type_ == c.type_));
    let last_transition_time = match previous {
        Some(p) if p.status == status => p.last_transition_time.clone(),
        _ => Time(*now),
    };
    Condition {
        type_: c.type_.into(),
        status: status.into(),
        reason: c.reason.clone(),
        message: c.message.clone(),
        observed_generation: stack.metadata.generation,
        last_transition_time,
    }
}

/// The whole status from the component checks.
pub fn from_checks(
    stack: &ImageUploadStack,
    checks: &[Check],
    endpoints: Endpoints,
    now: Timestamp,
) -> ImageUploadStackStatus {
    // A component stuck for a reason of its own (not merely on its way) is
    // named with it, so that `kubectl get ius` shows what to fix.
    let waiting: Vec<String> = checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| match c.reason.as_str() {
            "Progressing" | "Pending" => c.type_.to_owned(),
            reason => format!("{} ({reason}: {})", c.type_, c.message),
        })
        .collect();
    let ready = if waiting.is_empty() {
        Check::new(
            READY,
            true,
            "AllComponentsReady",
            "every component is ready",
        )
    } else {
        Check::new(
            READY,
            false,
            "ComponentsNotReady",
            format!("waiting for {}", waiting.join(", ")),
        )
    };
    let conditions = std::iter::once(&ready)
        .chain(checks)
        .map(|c| condition(stack, c, &now))
        .collect();
    ImageUploadStackStatus {
        observed_generation: stack.metadata.generation,
        conditions,
        endpoints: Some(endpoints),
    }
}

/// The status for a stack that cannot be reconciled as written (bad spec,
/// missing Secret, rejected object): `Ready=False` with the reason, the
/// component conditions kept as they were.
pub fn not_ready(
    stack: &ImageUploadStack,
    reason: &str,
    message: &str,
    now: Timestamp,
) -> ImageUploadStackStatus {
    let ready = condition(stack, &Check::new(READY, false, reason, message), &now);
    let old = stack.status.clone().unwrap_or_default();
    let conditions = std::iter::once(ready)
        .chain(old.conditions.into_iter().filter(|c| c.type_ != READY))
        .collect();
    ImageUploadStackStatus {
        observed_generation: stack.metadata.generation,
        conditions,
        endpoints: old.endpoints,
    }
}

/// The `Ready` condition of a stack, if it has one.
pub fn ready_condition(stack: &ImageUploadStack) -> Option<&Condition> {
    stack
        .status
        .as_ref()
        .and_then(|s| s.conditions.iter().find(|c| c.type_ == READY))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::ImageUploadStackSpec;
    use crate::resources::test_support::stack;
    use k8s_openapi::api::apps::v1::{DeploymentSpec, DeploymentStatus};

    fn dep(replicas: i32, available: i32, generation: i64, observed: i64) -> Deployment {
        let mut d = Deployment {
            spec: Some(DeploymentSpec {
                replicas: Some(replicas),
                ..DeploymentSpec::default()
            }),
            status: Some(DeploymentStatus {
                available_replicas: Some(available),
                updated_replicas: Some(available),
                observed_generation: Some(observed),
                ..DeploymentStatus::default()
            }),
            ..Deployment::default()
        };
        d.metadata.generation = Some(generation);
        d
    }

    #[test]
    fn deployment_is_ready_only_when_all_replicas_of_the_latest_spec_are_available() {
        assert!(!deployment(API, None).ok);
        assert!(!deployment(API, Some(&dep(2, 1, 1, 1))).ok);
        assert!(
            !deployment(API, Some(&dep(2, 2, 2, 1))).ok,
            "stale observedGeneration"
        );
        let ok = deployment(API, Some(&dep(2, 2, 2, 2)));
        assert!(ok.ok);
        assert_eq!(ok.message, "2/2 replicas available, 2/2 updated");
    }

    #[test]
    fn ready_is_the_conjunction_and_names_what_is_missing() {
        let s = stack(ImageUploadStackSpec::default());
        let t = Timestamp::from_second(1_700_000_000).unwrap();
        let checks = [
            external(DATABASE, "database"),
            Check::new(API, false, "Progressing", "0/1"),
        ];
        let st = from_checks(&s, &checks, Endpoints::default(), t);
        let types: Vec<_> = st.conditions.iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(types, vec![READY, DATABASE, API]);
        assert_eq!(st.conditions[0].status, "False");
        assert_eq!(st.conditions[0].message, "waiting for ApiReady");
        assert_eq!(st.observed_generation, Some(1));
        assert!(
            st.conditions
                .iter()
                .all(|c| c.observed_generation == Some(1))
        );
    }

    #[test]
    fn transition_time_moves_only_when_status_flips() {
        let mut s = stack(ImageUploadStackSpec::default());
        let t1 = Timestamp::from_second(1_700_000_000).unwrap();
        let t2 = Timestamp::from_second(1_700_000_100).unwrap();
        let pending = [Check::new(API, false, "Progressing", "0/1")];
        s.status = Some(from_checks(&s, &pending, Endpoints::default(), t1));
        let again = from_checks(&s, &pending, Endpoints::default(), t2);
        assert_eq!(
            Some(&again),
            s.status.as_ref(),
            "unchanged stack, identical status"
        );
        let done = [Check::new(API, true, "Available", "1/1")];
        let flipped = from_checks(&s, &done, Endpoints::default(), t2);
        assert_eq!(flipped.conditions[1].last_transition_time, Time(t2));
    }

    #[test]
    fn not_ready_replaces_ready_and_keeps_component_conditions() {
        let mut s = stack(ImageUploadStackSpec::default());
        let t = Timestamp::from_second(1_700_000_000).unwrap();
        let ok = [external(DATABASE, "database")];
        s.status = Some(from_checks(&s, &ok, Endpoints::default(), t));
        let st = not_ready(&s, "InvalidSpec", "storage: bad", t);
        assert_eq!(st.conditions.len(), 2);
        assert_eq!(st.conditions[0].type_, READY);
        assert_eq!(st.conditions[0].reason, "InvalidSpec");
        assert_eq!(st.conditions[1].type_, DATABASE);
    }
}
