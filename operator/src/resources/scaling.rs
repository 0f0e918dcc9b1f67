//! How many pods of a service component (api, auth) run, and how many may be
//! taken away at once: a HorizontalPodAutoscaler when the component's spec
//! asks for `autoscaling`, and a PodDisruptionBudget whenever the component
//! can run more than one pod.

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{child_name, owned_meta, selector_labels};
use crate::crd::{Autoscaling, ImageUploadStack};

/// What a component's spec says about its pod count.
#[derive(Clone, Copy, Debug)]
pub struct Scaling<'a> {
    pub component: &'a str,
    pub replicas: i32,
    pub autoscaling: Option<&'a Autoscaling>,
}

impl Scaling<'_> {
    /// The Deployment's `spec.replicas`: the fixed count, or none at all
    /// while an autoscaler sets it. Left out of the applied object, the
    /// field is no longer owned by the operator's field manager, so a later
    /// apply does not put back the count the autoscaler changed.
    pub fn deployment_replicas(&self) -> Option<i32> {
        match self.autoscaling {
            Some(_) => None,
            None => Some(self.replicas),
        }
    }

    /// Most pods the component can run: the autoscaler's maximum, or the
    /// fixed count (`replicas` is ignored while autoscaling is set).
    pub fn most_pods(&self) -> i32 {
        self.autoscaling.map_or(self.replicas, |a| a.max_replicas)
    }
}

/// The autoscaler of a component's Deployment (same name): CPU use, in
/// percent of the pods' CPU request, averaged over the pods.
pub fn horizontal_pod_autoscaler(
    stack: &ImageUploadStack,
    s: Scaling<'_>,
) -> Option<HorizontalPodAutoscaler> {
    let a = s.autoscaling?;
    let name = child_name(stack, s.component);
    Some(HorizontalPodAutoscaler {
        metadata: owned_meta(stack, s.component, name.clone()),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: "Deployment".into(),
                name,
            },
            min_replicas: Some(a.min_replicas),
            max_replicas: a.max_replicas,
            metrics: Some(vec![MetricSpec {
                type_: "Resource".into(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".into(),
                    target: MetricTarget {
                        type_: "Utilization".into(),
                        average_utilization: Some(a.target_cpu_utilization_percentage),
                        ..MetricTarget::default()
                    },
                }),
                ..MetricSpec::default()
            }]),
            behavior: None,
        }),
        status: None,
    })
}

/// A budget of one pod at a time for voluntary disruptions (node drains,
/// cluster upgrades), for a component that can run more than one pod: a
/// drain then never takes all its pods at once. With a single pod it would
/// either block every drain (`minAvailable: 1`) or promise nothing, so none
/// is made.
///
/// `unhealthyPodEvictionPolicy: AlwaysAllow`: the services hold no state, so
/// a pod that is not ready (crash-looping, say) may always be evicted; the
/// default would let such a pod block a drain.
pub fn pod_disruption_budget(
    stack: &ImageUploadStack,
    s: Scaling<'_>,
) -> Option<PodDisruptionBudget> {
    if s.most_pods() <= 1 {
        return None;
    }
    Some(PodDisruptionBudget {
        metadata: owned_meta(stack, s.component, child_name(stack, s.component)),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            min_available: None,
            selector: Some(LabelSelector {
                match_labels: Some(selector_labels(stack, s.component)),
                match_expressions: None,
            }),
            unhealthy_pod_eviction_policy: Some("AlwaysAllow".into()),
        }),
        status: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::ImageUploadStackSpec;
    use crate::resources::test_support::stack;

    const AUTOSCALED: Autoscaling = Autoscaling {
        min_replicas: 2,
        max_replicas: 5,
        target_cpu_utilization_percentage: 70,
    };

    fn scaling(replicas: i32, autoscaling: Option<&Autoscaling>) -> Scaling<'_> {
        Scaling {
            component: "api",
            replicas,
            autoscaling,
        }
    }

    #[test]
    fn the_autoscaler_targets_the_components_deployment_on_cpu_utilization() {
        let s = stack(ImageUploadStackSpec::default());
        let hpa = horizontal_pod_autoscaler(&s, scaling(3, Some(&AUTOSCALED))).unwrap();
        assert_eq!(hpa.metadata.name.as_deref(), Some("demo-api"));
        assert_eq!(
            hpa.metadata.owner_references.unwrap()[0].controller,
            Some(true)
        );
        let spec = hpa.spec.unwrap();
        assert_eq!(
            spec.scale_target_ref,
            CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: "Deployment".into(),
                name: "demo-api".into(),
            }
        );
        assert_eq!((spec.min_replicas, spec.max_replicas), (Some(2), 5));
        let metrics = spec.metrics.unwrap();
        assert_eq!(metrics.len(), 1);
        assert_eq!(metrics[0].type_, "Resource");
        let resource = metrics[0].resource.as_ref().unwrap();
        assert_eq!(resource.name, "cpu");
        assert_eq!(resource.target.type_, "Utilization");
        assert_eq!(resource.target.average_utilization, Some(70));

        assert!(horizontal_pod_autoscaler(&s, scaling(3, None)).is_none());
    }

    #[test]
    fn an_autoscaled_deployment_leaves_its_replica_count_to_the_autoscaler() {
        assert_eq!(scaling(3, Some(&AUTOSCALED)).deployment_replicas(), None);
        assert_eq!(scaling(3, None).deployment_replicas(), Some(3));
        assert_eq!(scaling(0, None).deployment_replicas(), Some(0));
    }

    #[test]
    fn a_disruption_budget_only_for_a_component_that_can_run_more_than_one_pod() {
        let s = stack(ImageUploadStackSpec::default());
        let one = Autoscaling {
            min_replicas: 1,
            max_replicas: 1,
            ..AUTOSCALED
        };
        for (replicas, autoscaling, wanted) in [
            (0, None, false),
            (1, None, false),
            (2, None, true),
            (1, Some(&AUTOSCALED), true),
            // `replicas` is ignored while autoscaling is set.
            (3, Some(&one), false),
        ] {
            let pdb = pod_disruption_budget(&s, scaling(replicas, autoscaling));
            assert_eq!(pdb.is_some(), wanted, "{replicas} {autoscaling:?}");
        }
        let pdb = pod_disruption_budget(&s, scaling(2, None)).unwrap();
        assert_eq!(pdb.metadata.name.as_deref(), Some("demo-api"));
        let spec = pdb.spec.unwrap();
        assert_eq!(spec.max_unavailable, Some(IntOrString::Int(1)));
        assert_eq!(spec.min_available, None);
        assert_eq!(
            spec.selector.unwrap().match_labels,
            Some(selector_labels(&s, "api")),
            "the same pods the Deployment selects"
        );
        assert_eq!(
            spec.unhealthy_pod_eviction_policy.as_deref(),
            Some("AlwaysAllow")
        );
    }
}
