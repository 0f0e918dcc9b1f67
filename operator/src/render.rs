//! `imgup-operator render`: the objects the operator would apply for a
//! manifest, printed as YAML without a cluster. Generated secrets get
//! placeholder values. Used to review a stack before applying it, and by
//! CI to validate every emitted object against the Kubernetes schemas.

use std::collections::BTreeMap;

use crate::crd::ImageUploadStack;
use crate::resources::{self, Inputs, secrets};

/// Every object for `stack`, as one multi-document YAML string. The stack
/// needs a namespace; a missing uid gets a placeholder (owner references
/// need one).
pub fn render(mut stack: ImageUploadStack) -> Result<String, String> {
    let problems = crate::validate::problems(&stack.spec);
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    if stack.metadata.namespace.is_none() {
        stack.metadata.namespace = Some("default".into());
    }
    if stack.metadata.uid.is_none() {
        stack.metadata.uid = Some("00000000-0000-4000-8000-000000000000".into());
    }
    let placeholders: BTreeMap<String, String> = secrets::GENERATED_KEYS
        .iter()
        .map(|k| (k.to_string(), "placeholder".to_string()))
        .collect();
    let generated = secrets::generated_secret(&stack, placeholders);
    let mut docs = vec![serde_json::to_value(&generated).expect("serializes")];
    docs.extend(
        resources::desired_objects(&stack, &Inputs::default())
            .iter()
            .map(|d| d.to_json()),
    );
    let mut out = String::new();
    for d in docs {
        out.push_str("---\n");
        out.push_str(&crate::yaml::to_string(&d));
    }
    Ok(out)
}

/// Parses one `ImageUploadStack` manifest (YAML).
pub fn parse(yaml: &str) -> Result<ImageUploadStack, String> {
    serde_norway::from_str(yaml).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_object_of_a_minimal_manifest() {
        let stack = parse(
            "apiVersion: imgup.dev/v1alpha1\nkind: ImageUploadStack\nmetadata:\n  name: demo\n  namespace: imgup\nspec: {}\n",
        )
        .unwrap();
        let out = render(stack).unwrap();
        assert_eq!(
            out.matches("---\n").count(),
            12,
            "generated Secret + 11 objects"
        );
        assert!(out.contains("kind: Secret"));
        assert!(out.contains("name: demo-api"));
        assert!(out.contains("namespace: imgup"));
    }

    #[test]
    fn the_autoscaling_sample_renders_an_autoscaler_and_disruption_budgets() {
        let out = render(parse(include_str!("../samples/autoscaling.yaml")).unwrap()).unwrap();
        assert_eq!(
            out.matches("---\n").count(),
            15,
            "generated Secret + 11 objects + 1 autoscaler + 2 budgets"
        );
        assert_eq!(out.matches("kind: HorizontalPodAutoscaler").count(), 1);
        assert_eq!(out.matches("kind: PodDisruptionBudget").count(), 2);
    }

    #[test]
    fn the_ingress_sample_renders_one_ingress_for_the_three_hosts() {
        let out = render(parse(include_str!("../samples/ingress.yaml")).unwrap()).unwrap();
        assert_eq!(
            out.matches("---\n").count(),
            13,
            "generated Secret + 11 objects + the Ingress"
        );
        assert_eq!(out.matches("kind: Ingress").count(), 1);
        assert!(
            out.contains("PUBLIC_URL: \"https://auth.example.com\""),
            "{out}"
        );
        assert!(
            out.contains("S3_PUBLIC_ENDPOINT: \"https://s3.example.com\""),
            "{out}"
        );
    }

    #[test]
    fn a_bad_manifest_is_refused_with_its_problems() {
        let stack = parse(
            "apiVersion: imgup.dev/v1alpha1\nkind: ImageUploadStack\nmetadata:\n  name: demo\nspec:\n  buckets:\n    uploads: NO\n",
        )
        .unwrap();
        let err = render(stack).unwrap_err();
        assert!(err.contains("buckets.uploads"), "{err}");
    }
}
