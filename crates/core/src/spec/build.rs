//! Constructors for building a spec in code (no YAML): each takes the required fields and
//! fills every other one with the default a spec file would get.
//!
//! Defaults come from the same `#[serde(default …)]` attributes the loader uses (the value is
//! built by deserialising the required fields alone), so a spec built here and a spec loaded
//! from the equivalent YAML are equal.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::sections::API_VERSION;

use crate::sections::AppSpec;

use crate::sections::scaling::HpaSpec;

use crate::sections::KIND;

use crate::sections::model::ModelSource;

use crate::sections::model::ObjectStoreSource;

use crate::sections::serving::ProbeSpec;

use crate::sections::training::TrainingSpec;

use crate::sections::VolumeClaim;

/// Deserialises the required fields of `T`; every other field gets its default.
fn with_defaults<T: DeserializeOwned>(required: Value) -> T {
    serde_json::from_value(required).expect("the required fields alone form a valid value")
}

impl AppSpec {
    /// An application named `name` serving the model at `source`, with every default applied
    /// (the built-in runtime, 2 replicas, probes, restricted security, …), exactly as if it
    /// were loaded from a spec file holding only those two fields.
    ///
    /// ```
    /// use slipway_core::spec::{AppSpec, ModelSource, VolumeClaim};
    ///
    /// let mut app = AppSpec::new("demo", ModelSource::Pvc(VolumeClaim::new("models")));
    /// app.spec.inference.replicas = Some(3);
    /// assert_eq!(app.spec.inference.port, 8000);
    /// assert_eq!(app.metadata.namespace(), "demo");
    ///
    /// let text = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\n\
    ///             metadata: {name: demo}\n\
    ///             spec: {model: {source: {pvc: {claimName: models}}}}\n";
    /// let loaded = slipway_core::load_str("demo.yaml", text).unwrap();
    /// assert_eq!(loaded.spec, AppSpec::new("demo", ModelSource::Pvc(VolumeClaim::new("models"))));
    /// ```
    pub fn new(name: impl Into<String>, source: ModelSource) -> Self {
        let source = serde_json::to_value(source).expect("a model source serialises to JSON");
        with_defaults(json!({
            "apiVersion": API_VERSION,
            "kind": KIND,
            "metadata": {"name": name.into()},
            "spec": {"model": {"source": source}},
        }))
    }
}

impl VolumeClaim {
    /// A claim named `claim_name` that Slipway creates with the default size (`10Gi`) and
    /// access mode (`ReadWriteOnce`).
    ///
    /// ```
    /// let claim = slipway_core::spec::VolumeClaim::new("models");
    /// assert_eq!(claim.size.as_str(), "10Gi");
    /// assert!(claim.create);
    /// ```
    pub fn new(claim_name: impl Into<String>) -> Self {
        with_defaults(json!({"claimName": claim_name.into()}))
    }
}

impl ObjectStoreSource {
    /// A model fetched from `uri` (`s3://…` or `https://…`) with the default init-container
    /// image and a `2Gi` cache.
    ///
    /// ```
    /// let source = slipway_core::spec::ObjectStoreSource::new("s3://models/demo/model.onnx");
    /// assert_eq!(source.size_limit.as_str(), "2Gi");
    /// assert!(source.credentials_secret.is_none());
    /// ```
    pub fn new(uri: impl Into<String>) -> Self {
        with_defaults(json!({"uri": uri.into()}))
    }
}

impl TrainingSpec {
    /// A one-off training Job running `image`, with the default resources, retries, deadline
    /// and time to live.
    ///
    /// ```
    /// let training = slipway_core::spec::TrainingSpec::new("example.com/train:1.0");
    /// assert_eq!(training.backoff_limit, 3);
    /// assert!(training.schedule.is_none());
    /// ```
    pub fn new(image: impl Into<String>) -> Self {
        with_defaults(json!({"image": image.into()}))
    }
}

impl HpaSpec {
    /// A HorizontalPodAutoscaler scaling between the default minimum (2) and `max_replicas`.
    ///
    /// ```
    /// let hpa = slipway_core::spec::HpaSpec::new(10);
    /// assert_eq!((hpa.min_replicas, hpa.max_replicas), (2, 10));
    /// ```
    pub fn new(max_replicas: i32) -> Self {
        with_defaults(json!({"maxReplicas": max_replicas}))
    }
}

impl ProbeSpec {
    /// A probe of `path` with the default delay, period, timeout and failure threshold.
    ///
    /// ```
    /// let probe = slipway_core::spec::ProbeSpec::on("/healthz");
    /// assert_eq!((probe.period_seconds, probe.timeout_seconds, probe.failure_threshold), (10, 2, 3));
    /// ```
    pub fn on(path: impl Into<String>) -> Self {
        with_defaults(json!({"path": path.into()}))
    }
}

impl crate::sections::ResourceList {
    /// A CPU and a memory quantity, no ephemeral storage.
    ///
    /// # Panics
    ///
    /// When either is not a Kubernetes quantity: this builds specs in code from literals.
    ///
    /// ```
    /// use slipway_core::spec::ResourceList;
    /// let list = ResourceList::cpu_memory("100m", "128Mi");
    /// assert_eq!(list.cpu.unwrap().as_str(), "100m");
    /// assert_eq!(list.memory.unwrap().nanos(), 128 * 1024 * 1024 * 1_000_000_000);
    /// ```
    pub fn cpu_memory(cpu: &str, memory: &str) -> Self {
        Self {
            cpu: Some(crate::sections::parsed(cpu)),
            memory: Some(crate::sections::parsed(memory)),
            ephemeral_storage: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_built_in_code_equals_the_loaded_one() {
        let text = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: demo\nspec:\n  model:\n    source:\n      objectStore:\n        uri: s3://b/m.onnx\n";
        let loaded = crate::spec::load_str("demo.yaml", text).unwrap();
        let built = AppSpec::new(
            "demo",
            ModelSource::ObjectStore(ObjectStoreSource::new("s3://b/m.onnx")),
        );
        assert_eq!(loaded.spec, built);
    }
}
