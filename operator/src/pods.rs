//! Why a component's pods are not running, read off the pods themselves:
//! the reason `kubectl get pods` shows (`ImagePullBackOff`,
//! `CrashLoopBackOff`, `OOMKilled`, `Unschedulable`, …), so that the stack's
//! status names it instead of saying "Progressing 0/1" forever.

use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;

/// Waiting reasons that do not go away by themselves.
const STUCK: &[&str] = &[
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];

/// The first trouble among `pods` of `component`: `(reason, message)`.
pub fn trouble(pods: &[Pod], component: &str) -> Option<(String, String)> {
    pods.iter()
        .filter(|p| {
            p.labels()
                .get("app.kubernetes.io/component")
                .map(String::as_str)
                == Some(component)
        })
        .find_map(pod_trouble)
}

fn pod_trouble(pod: &Pod) -> Option<(String, String)> {
    let name = pod.name_any();
    let status = pod.status.as_ref()?;
    let containers = status
        .init_container_statuses
        .iter()
        .flatten()
        .chain(status.container_statuses.iter().flatten());
    for c in containers {
        let state = c.state.as_ref();
        if let Some(w) = state.and_then(|s| s.waiting.as_ref())
            && let Some(reason) = w.reason.as_deref().filter(|r| STUCK.contains(r))
        {
            let detail = w.message.as_deref().unwrap_or_default();
            return Some((
                reason.to_owned(),
                format!("pod {name}, container {}: {reason}: {detail}", c.name)
                    .trim_end_matches(": ")
                    .to_owned(),
            ));
        }
        let last = c.last_state.as_ref().and_then(|s| s.terminated.as_ref());
        if let Some(t) = last.filter(|t| t.reason.as_deref() == Some("OOMKilled")) {
            return Some((
                "OOMKilled".into(),
                format!(
                    "pod {name}, container {}: killed for using more memory than its limit (exit {}); raise resources.limits.memory",
                    c.name, t.exit_code
                ),
            ));
        }
    }
    status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False")
        .map(|c| {
            let reason = c.reason.clone().unwrap_or_else(|| "Unschedulable".into());
            let message = c.message.clone().unwrap_or_default();
            (reason.clone(), format!("pod {name}: {reason}: {message}"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(component: &str, status: serde_json::Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": format!("demo-{component}-7d9f-abcde"),
                         "labels": {"app.kubernetes.io/component": component}},
            "status": status,
        }))
        .unwrap()
    }

    #[test]
    fn the_reasons_kubectl_shows_are_found() {
        let pull = pod(
            "api",
            json!({"containerStatuses": [{"name": "api", "image": "x", "imageID": "", "ready": false,
                "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff",
                "message": "Back-off pulling image \"ghcr.io/imgup/imgup-api:0.1.0\""}}}]}),
        );
        let crash = pod(
            "auth",
            json!({"containerStatuses": [{"name": "auth", "image": "x", "imageID": "", "ready": false,
                "restartCount": 5, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}),
        );
        let oom = pod(
            "postgres",
            json!({"containerStatuses": [{"name": "postgres", "image": "x", "imageID": "", "ready": false,
                "restartCount": 2, "state": {"running": {}},
                "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]}),
        );
        let pending = pod(
            "minio",
            json!({"conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": "0/1 nodes are available: 1 Insufficient memory."}]}),
        );
        let pods = [pull, crash, oom, pending];
        let (reason, message) = trouble(&pods, "api").unwrap();
        assert_eq!(reason, "ImagePullBackOff");
        assert!(
            message.contains("ghcr.io/imgup/imgup-api:0.1.0") && message.contains("demo-api-"),
            "{message}"
        );
        assert_eq!(trouble(&pods, "auth").unwrap().0, "CrashLoopBackOff");
        assert_eq!(trouble(&pods, "postgres").unwrap().0, "OOMKilled");
        let (reason, message) = trouble(&pods, "minio").unwrap();
        assert_eq!(reason, "Unschedulable");
        assert!(message.contains("Insufficient memory"));
        assert_eq!(trouble(&pods, "buckets"), None);
    }

    #[test]
    fn a_pod_that_is_only_starting_is_no_trouble() {
        let starting = pod(
            "api",
            json!({"containerStatuses": [{"name": "api", "image": "x", "imageID": "", "ready": false,
                "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}]}),
        );
        assert_eq!(trouble(&[starting], "api"), None);
    }
}
