//! imgup-operator: reconciles an `ImageUploadStack` into the running
//! platform. One module per concern: the resource types (`crd`), the pure
//! object builders (`resources`), spec checks (`validate`), status
//! conditions (`status`) and what pods say when they fail (`pods`), the reconciler (`controller`), leader election
//! (`leader`), metrics and the health/metrics HTTP server (`metrics`,
//! `http`), data volumes after creation (`volumes`), and `render` (the objects for a manifest, without a cluster).

pub mod controller;
pub mod crd;
pub mod error;
pub mod garage;
pub mod http;
pub mod leader;
pub mod metrics;
pub mod pods;
pub mod render;
pub mod resources;
pub mod status;
pub mod validate;
pub mod volumes;
pub mod yaml;

#[cfg(test)]
pub mod fixtures;

use kube::CustomResourceExt;

/// The CRD as YAML, exactly as `crdgen` prints it and `crds/` holds it.
pub fn crd_yaml() -> String {
    let crd = serde_json::to_value(crd::ImageUploadStack::crd()).expect("the CRD serializes");
    yaml::to_string(&crd)
}
