//! Data volumes after the fact. A StatefulSet's `volumeClaimTemplates` are
//! immutable, so a changed `size` or `storageClassName` must never reach the
//! StatefulSet (the API server would refuse the whole object, and with it
//! every later change to it). The StatefulSet keeps the templates it was
//! created with; a larger size is patched onto each existing claim, which
//! the storage class expands if it allows expansion; what cannot be done (a
//! smaller size, another class, a class without expansion) is reported.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use crate::error::Error;

/// Makes `desired` keep `existing`'s claim templates, and brings the claims
/// the templates made to the desired size. Returns what could not be done,
/// one message per claim or template.
pub async fn fit_claims(
    claims: &Api<PersistentVolumeClaim>,
    desired: &mut StatefulSet,
    existing: &StatefulSet,
) -> Result<Vec<String>, Error> {
    let name = desired.name_any();
    let (Some(want_spec), Some(have_spec)) = (desired.spec.as_mut(), existing.spec.as_ref()) else {
        return Ok(Vec::new());
    };
    let have = have_spec.volume_claim_templates.clone().unwrap_or_default();
    let unchanged = {
        let want = want_spec
            .volume_claim_templates
            .as_deref()
            .unwrap_or_default();
        want.len() == have.len() && want.iter().zip(&have).all(|(w, h)| same_shape(w, h))
    };
    if unchanged {
        return Ok(Vec::new());
    }
    let want = want_spec.volume_claim_templates.replace(have.clone());
    let replicas = have_spec.replicas.unwrap_or(1).max(0);
    let mut problems = Vec::new();
    for template in want.unwrap_or_default() {
        let claim_name = template.name_any();
        let Some(kept) = have.iter().find(|t| t.name_any() == claim_name) else {
            problems.push(format!(
                "StatefulSet/{name}: a new volume claim template {claim_name:?} needs a new StatefulSet"
            ));
            continue;
        };
        let want_class = storage_class(&template);
        if want_class.is_some() && want_class != storage_class(kept) {
            problems.push(format!(
                "StatefulSet/{name}: its volumes keep storage class {:?}; moving to {:?} takes new claims (copy the data, delete the claims and the StatefulSet, and the operator makes new ones)",
                storage_class(kept).unwrap_or("(default)"),
                want_class.unwrap_or_default()
            ));
        }
        let Some(size) = requested(&template) else {
            continue;
        };
        for ordinal in 0..replicas {
            let pvc = format!("{claim_name}-{name}-{ordinal}");
            let Some(current) = claims.get_opt(&pvc).await? else {
                continue; // its pod has not been created yet
            };
            if requested(&current) == Some(size) {
                continue;
            }
            let patch = json!({"spec": {"resources": {"requests": {"storage": size.0}}}});
            match claims
                .patch(&pvc, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => tracing::info!(claim = %pvc, size = %size.0, "volume claim resized"),
                Err(kube::Error::Api(s)) if matches!(s.code, 400 | 403 | 422) => {
                    problems.push(format!(
                        "PersistentVolumeClaim/{pvc} not resized to {}: {}",
                        size.0, s.message
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(problems)
}

/// Whether the cluster's template `have` has what the operator asks for in
/// `want`: the name, the size, and the class where one is named (unnamed,
/// the cluster fills in its default).
fn same_shape(want: &PersistentVolumeClaim, have: &PersistentVolumeClaim) -> bool {
    want.name_any() == have.name_any()
        && requested(want) == requested(have)
        && (storage_class(want).is_none() || storage_class(want) == storage_class(have))
}

fn storage_class(claim: &PersistentVolumeClaim) -> Option<&str> {
    claim.spec.as_ref()?.storage_class_name.as_deref()
}

fn requested(claim: &PersistentVolumeClaim) -> Option<&Quantity> {
    claim
        .spec
        .as_ref()?
        .resources
        .as_ref()?
        .requests
        .as_ref()?
        .get("storage")
}
