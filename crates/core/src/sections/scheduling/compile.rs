//! Cluster-wide scheduling objects: the PriorityClass, emitted when the spec gives its value
//! (otherwise the pods only reference an existing class). Pod-level scheduling (node
//! selector, tolerations, affinity, GPUs, runtime class) is applied by [`crate::sections::shared::pod::schedule`].

use k8s_openapi::api::scheduling::v1::PriorityClass;

use crate::sections::shared::labels;

use crate::bundle::Object;
use crate::sections::AppSpec;
use crate::sections::shared::labels::Component;

/// The PriorityClass when the spec creates one; nothing when it only references one.
pub fn compile(spec: &AppSpec) -> Vec<Object> {
    let Some(priority) = &spec.spec.scheduling.priority_class else {
        return Vec::new();
    };
    let Some(value) = priority.value else {
        return Vec::new();
    };
    vec![
        PriorityClass {
            metadata: labels::cluster_meta(spec, priority.name.clone(), Component::Application),
            value,
            // Never the cluster default: that would raise every other team's pods too.
            global_default: Some(false),
            description: priority.description.clone(),
            preemption_policy: Some(priority.preemption_policy.as_str().into()),
        }
        .into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::minimal;
    use crate::compile::testing::seed;

    #[test]
    fn a_priority_class_with_a_value_is_created() {
        let objects = compile(&seed());
        assert_eq!(objects.len(), 1);
        let Object::PriorityClass(class) = &objects[0] else {
            panic!("not a PriorityClass")
        };
        assert_eq!(objects[0].name(), "ai-high-priority");
        assert_eq!(
            objects[0].namespace(),
            "",
            "PriorityClass is cluster-scoped"
        );
        assert_eq!(class.value, 1_000_000);
        assert_eq!(class.global_default, Some(false));
    }

    #[test]
    fn a_priority_class_without_a_value_is_only_referenced() {
        let mut spec = seed();
        spec.spec.scheduling.priority_class.as_mut().unwrap().value = None;
        assert!(compile(&spec).is_empty());
        let bundle = crate::compile::compile(&spec);
        let Some(Object::Deployment(deployment)) = bundle.find("Deployment", "ai-inference-blue")
        else {
            panic!("no blue Deployment")
        };
        let pod = deployment.spec.as_ref().unwrap().template.spec.as_ref();
        assert_eq!(
            pod.unwrap().priority_class_name.as_deref(),
            Some("ai-high-priority")
        );
        assert!(compile(&minimal()).is_empty());
    }
}
