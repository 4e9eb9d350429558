//! The inference workload: one Deployment (rolling update) or two (`<app>-blue` and
//! `<app>-green`), the main Service, the blue/green preview Service, the optional external
//! LoadBalancer Service, and the inference ServiceAccount.
//!
//! Each Deployment serves one model version (a color's `modelVersion`, else `model.version`):
//! the model volume (the claim, or an emptyDir a fetch init container fills from the object
//! store) is mounted at the directory above `{version}` in `model.path`, and the server is
//! told `MODEL_PATH` with the version filled in and `MODEL_VERSION`. The idle blue/green color
//! runs `idleReplicas`; the active one is left to the HPA when there is one.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::core::v1::{
    ContainerPort, EmptyDirVolumeSource, EnvVar, HTTPGetAction, Lifecycle, LifecycleHandler,
    PersistentVolumeClaimVolumeSource, PodTemplateSpec, Probe, Service, ServicePort,
    ServiceSpec as K8sServiceSpec, SleepAction, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::sections::shared::labels;

use crate::bundle::Object;
use crate::sections::AppSpec;
use crate::sections::Color;
use crate::sections::Scope;
use crate::sections::model::ModelSource;
use crate::sections::model::ModelSpec;
use crate::sections::model::store;
use crate::sections::serving::ProbeSpec;
use crate::sections::serving::RuntimeSpec;
use crate::sections::shared::labels::Component;
use crate::sections::shared::pod;
use crate::sections::shared::runtime::*;

/// Name of the inference server container.
pub const SERVER_CONTAINER: &str = "server";
/// Name of the model volume in inference pods.
const MODEL_VOLUME: &str = "model";
/// Seconds the pod keeps serving after it is marked terminating, while endpoints update.
const PRE_STOP_SLEEP: i64 = 5;

/// One inference workload: which color (blue/green only), its name, image and model version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// The Deployment's name.
    pub name: String,
    /// Blue or green; `None` for a rolling-update Deployment.
    pub color: Option<Color>,
    /// The container image.
    pub image: String,
    /// The release label, when known.
    pub version: Option<String>,
    /// The model version it serves.
    pub model_version: String,
    /// Replicas it runs when no HPA owns the count: `inference.replicas`, or
    /// `rollout.blueGreen.idleReplicas` for the idle color.
    pub replicas: i32,
    /// Whether it takes production traffic (the active color, or the only Deployment); only
    /// an active workload gets an HPA.
    pub active: bool,
    /// The Deployment's `replicas`: `None` where an autoscaler owns the count (KEDA, the HPA
    /// of the active workload) or, during a blue/green switch, where the old color keeps
    /// the count its HPA gave it while it drains.
    pub fixed_replicas: Option<i32>,
}

impl Workload {
    /// The model file the server reads: `model.path` with the version filled in.
    pub fn model_path(&self, spec: &AppSpec) -> String {
        ModelSpec::versioned(&spec.spec.model.path, &self.model_version)
    }
}

/// The inference Deployments of the spec: one, or blue and green.
///
/// Under blue/green with the `rollouts` engine there is one workload (the Rollout), without a
/// color, running the active color's slot. With the `deployments` engine, while
/// `rollout.blueGreen.switching` is set the newly active color runs the active capacity
/// (`scaling.hpa.minReplicas`, else `inference.replicas`) as a fixed count, and the old one
/// keeps its pods: its HPA's count, else `inference.replicas`.
pub fn workloads(spec: &AppSpec) -> Vec<Workload> {
    let scaling = &spec.spec.scaling;
    let replicas = spec.spec.inference.replicas();
    let slot_version = |model_version: &Option<String>| {
        model_version
            .clone()
            .unwrap_or_else(|| spec.spec.model.version.clone())
    };
    match &spec.spec.rollout.blue_green {
        Some(blue_green) if blue_green.rollouts() => {
            let slot = blue_green.slot(blue_green.active);
            vec![Workload {
                name: spec.metadata.name.clone(),
                color: None,
                image: slot.image.clone(),
                version: slot.version.clone().or_else(|| image_tag(&slot.image)),
                model_version: slot_version(&slot.model_version),
                replicas,
                active: true,
                fixed_replicas: (scaling.keda.is_none() && scaling.hpa.is_none())
                    .then_some(replicas),
            }]
        }
        Some(blue_green) => Color::ALL
            .into_iter()
            .map(|color| {
                let slot = blue_green.slot(color);
                let active = color == blue_green.active;
                let capacity = scaling
                    .hpa
                    .as_ref()
                    .map_or(replicas, |hpa| hpa.min_replicas);
                let fixed_replicas = match (active, blue_green.switching) {
                    _ if scaling.keda.is_some() => None,
                    (true, false) => scaling.hpa.is_none().then_some(replicas),
                    // Raised before the Services move to it (sync waves), and kept fixed
                    // until the switch ends: no `replicas` removal half-way.
                    (true, true) => Some(capacity),
                    (false, false) => Some(blue_green.idle_replicas),
                    // The old color drains with the pods it had.
                    (false, true) => scaling.hpa.is_none().then_some(replicas),
                };
                Workload {
                    name: labels::name(spec, color.as_str()),
                    color: Some(color),
                    image: slot.image.clone(),
                    version: slot.version.clone().or_else(|| image_tag(&slot.image)),
                    model_version: slot_version(&slot.model_version),
                    replicas: if active {
                        replicas
                    } else {
                        blue_green.idle_replicas
                    },
                    active,
                    fixed_replicas,
                }
            })
            .collect(),
        None => {
            let image = runtime_image(spec).to_string();
            vec![Workload {
                name: spec.metadata.name.clone(),
                color: None,
                version: image_tag(&image),
                image,
                model_version: spec.spec.model.version.clone(),
                replicas,
                active: true,
                fixed_replicas: (scaling.keda.is_none() && scaling.hpa.is_none())
                    .then_some(replicas),
            }]
        }
    }
}

fn runtime_image(spec: &AppSpec) -> &str {
    match &spec.spec.inference.runtime {
        RuntimeSpec::SlipwayServe(serve) => &serve.image,
        RuntimeSpec::Custom(custom) => &custom.image,
    }
}

fn image_tag(image: &str) -> Option<String> {
    match crate::k8s::image::tag_of(image) {
        crate::k8s::image::ImageTag::Tag(tag) => Some(tag.to_string()),
        _ => None,
    }
}

/// The ServiceAccount name of the inference pods: the application name.
pub fn service_account_name(spec: &AppSpec) -> String {
    spec.metadata.name.clone()
}

/// The inference ServiceAccount, Deployments and Services (without pod specs in an outline).
pub fn compile(spec: &AppSpec, scope: Scope) -> Vec<Object> {
    let mut account = pod::service_account(spec, service_account_name(spec), Component::Inference);
    store::bind_identity(spec, &mut account);
    let mut objects = vec![account];
    for workload in workloads(spec) {
        // (Under a canary, the rollout section replaces it with an Argo Rollouts Rollout.)
        objects.push(deployment(spec, &workload, scope).into());
    }
    objects.extend(services(spec).into_iter().map(Object::from));
    objects
}

fn deployment(spec: &AppSpec, workload: &Workload, scope: Scope) -> Deployment {
    let rollout = &spec.spec.rollout;
    let selector = labels::selector(spec, Component::Inference, workload.color);
    let pod_labels = labels::labels(
        spec,
        Component::Inference,
        workload.color,
        workload.version.as_deref(),
    );
    let mut metadata = labels::meta(spec, workload.name.clone(), Component::Inference);
    metadata.labels = Some(pod_labels.clone());
    Deployment {
        metadata,
        spec: Some(DeploymentSpec {
            // An autoscaler owns the replica count and a GitOps sync must not reset it: KEDA
            // (one ScaledObject per color, the idle one too) or the HPA (active workload
            // only; the idle color runs its small fixed count). See `workloads`.
            replicas: workload.fixed_replicas,
            revision_history_limit: Some(5),
            selector: labels::match_labels(selector),
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(rollout.max_surge.into()),
                    max_unavailable: Some(rollout.max_unavailable.into()),
                }),
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(
                        pod_labels
                            .into_iter()
                            .chain(store::pod_labels(spec))
                            .collect(),
                    ),
                    annotations: Some(BTreeMap::from([(
                        "kubectl.kubernetes.io/default-container".to_string(),
                        SERVER_CONTAINER.to_string(),
                    )])),
                    ..Default::default()
                }),
                spec: scope.bodies().then(|| pod_spec(spec, workload)),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn gpus(spec: &AppSpec) -> u32 {
    spec.spec
        .scheduling
        .gpu
        .as_ref()
        .and_then(|gpu| gpu.whole_count())
        .unwrap_or(0)
}

fn pod_spec(spec: &AppSpec, workload: &Workload) -> k8s_openapi::api::core::v1::PodSpec {
    let inference = &spec.spec.inference;
    let mut pod_spec = pod::base_pod(
        spec,
        service_account_name(spec),
        spec.spec.security.automount_service_account_token,
    );
    pod_spec.termination_grace_period_seconds = Some(inference.termination_grace_period_seconds);
    let (model_dir, _) = spec.spec.model.store_layout();

    let volumes = pod_spec.volumes.get_or_insert_default();
    match &spec.spec.model.source {
        ModelSource::Pvc(claim) => volumes.push(Volume {
            name: MODEL_VOLUME.into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.claim_name.clone(),
                read_only: Some(true),
            }),
            ..Default::default()
        }),
        ModelSource::ObjectStore(store) => {
            volumes.push(Volume {
                name: MODEL_VOLUME.into(),
                empty_dir: Some(EmptyDirVolumeSource {
                    size_limit: Some(Quantity::from(&store.size_limit)),
                    ..Default::default()
                }),
                ..Default::default()
            });
            if let Some((fetch, extra)) = store::fetch(
                spec,
                store,
                &workload.model_version,
                workload.model_path(spec),
                MODEL_VOLUME,
                model_dir,
            ) {
                volumes.extend(extra);
                pod_spec.init_containers = Some(vec![fetch]);
            }
        }
    }

    let mut server = pod::base_container(spec, SERVER_CONTAINER, &workload.image);
    if let RuntimeSpec::Custom(custom) = &inference.runtime {
        server.command = (!custom.command.is_empty()).then(|| custom.command.clone());
        server.args = (!custom.args.is_empty()).then(|| custom.args.clone());
    }
    server.env = Some(server_env(spec, workload));
    server.ports = Some(vec![ContainerPort {
        name: Some(PORT_NAME.into()),
        container_port: inference.port as i32,
        protocol: Some("TCP".into()),
        ..Default::default()
    }]);
    server.resources = Some(pod::resources(spec, &inference.resources, gpus(spec)));
    server.liveness_probe = Some(probe(&inference.probes.liveness));
    server.readiness_probe = Some(probe(&inference.probes.readiness));
    server.startup_probe = Some(probe(&inference.probes.startup));
    server.lifecycle = Some(Lifecycle {
        pre_stop: Some(LifecycleHandler {
            sleep: Some(SleepAction {
                seconds: PRE_STOP_SLEEP,
            }),
            ..Default::default()
        }),
        ..Default::default()
    });
    server
        .volume_mounts
        .get_or_insert_default()
        .push(VolumeMount {
            name: MODEL_VOLUME.into(),
            mount_path: model_dir.to_string(),
            read_only: Some(true),
            ..Default::default()
        });
    pod_spec.containers = vec![server];
    pod::schedule(spec, &mut pod_spec, gpus(spec));
    pod_spec
}

fn server_env(spec: &AppSpec, workload: &Workload) -> Vec<EnvVar> {
    let inference = &spec.spec.inference;
    let model = &spec.spec.model;
    let mut pairs: Vec<(&str, String)> = inference
        .env
        .iter()
        .map(|(name, value)| (name.as_str(), value.clone()))
        .collect();
    pairs.push((ENV_MODEL_PATH, workload.model_path(spec)));
    pairs.push((ENV_MODEL_VERSION, workload.model_version.clone()));
    pairs.push((
        ENV_MODEL_NAME,
        model
            .name
            .clone()
            .unwrap_or_else(|| spec.metadata.name.clone()),
    ));
    pairs.push((ENV_PORT, inference.port.to_string()));
    if let RuntimeSpec::SlipwayServe(serve) = &inference.runtime {
        pairs.push((ENV_MAX_CONCURRENCY, serve.max_concurrency.to_string()));
        pairs.push((
            ENV_BATCH_MAX_SIZE,
            serve.batching.max_batch_size.to_string(),
        ));
        pairs.push((
            ENV_BATCH_QUEUE_DELAY,
            serve.batching.max_queue_delay_microseconds.to_string(),
        ));
        // Drain in-flight requests, then exit before the kubelet's SIGKILL.
        let grace = inference.termination_grace_period_seconds - PRE_STOP_SLEEP - 2;
        pairs.push((ENV_SHUTDOWN_GRACE, grace.max(1).to_string()));
        if let Some(threads) = serve.threads {
            pairs.push((ENV_THREADS, threads.to_string()));
        }
    }
    let mut env = pod::env(pairs);
    env.extend(
        inference
            .secret_env
            .iter()
            .map(|(name, reference)| pod::secret_env(name, &reference.secret, &reference.key)),
    );
    env
}

fn probe(probe: &ProbeSpec) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(probe.path.clone()),
            port: IntOrString::String(PORT_NAME.into()),
            scheme: Some("HTTP".into()),
            ..Default::default()
        }),
        initial_delay_seconds: (probe.initial_delay_seconds > 0)
            .then_some(probe.initial_delay_seconds),
        period_seconds: Some(probe.period_seconds),
        timeout_seconds: Some(probe.timeout_seconds),
        failure_threshold: Some(probe.failure_threshold),
        success_threshold: Some(1),
        ..Default::default()
    }
}

/// The main Service (active color), the preview Service (other color) and the external one.
fn services(spec: &AppSpec) -> Vec<Service> {
    let service = &spec.spec.inference.service;
    let blue_green = spec.spec.rollout.blue_green.as_ref();
    // Under the `rollouts` engine both Services select the Rollout's pods; Argo Rollouts adds
    // each one's revision (`rollouts-pod-template-hash`) to its selector.
    let active = blue_green.filter(|bg| !bg.rollouts()).map(|bg| bg.active);
    let mut services = vec![make_service(
        spec,
        spec.metadata.name.clone(),
        active,
        service.service_type.as_str(),
        service.port,
        BTreeMap::new(),
        crate::sections::serving::service::main_source_ranges(spec),
    )];
    if blue_green.is_some() {
        services.push(make_service(
            spec,
            labels::name(spec, "preview"),
            active.map(Color::other),
            "ClusterIP",
            service.port,
            BTreeMap::new(),
            Vec::new(),
        ));
    }
    if let Some(external) = &service.external {
        services.push(make_service(
            spec,
            labels::name(spec, "external"),
            active,
            "LoadBalancer",
            external.port,
            external.annotations.clone(),
            external.source_ranges.clone(),
        ));
    }
    services
}

fn make_service(
    spec: &AppSpec,
    name: String,
    color: Option<Color>,
    service_type: &str,
    port: u32,
    annotations: BTreeMap<String, String>,
    source_ranges: Vec<String>,
) -> Service {
    let mut metadata = labels::meta(spec, name, Component::Inference);
    if !annotations.is_empty() {
        metadata
            .annotations
            .get_or_insert_default()
            .extend(annotations);
    }
    Service {
        metadata,
        spec: Some(K8sServiceSpec {
            type_: Some(service_type.into()),
            selector: Some(labels::selector(spec, Component::Inference, color)),
            ports: Some(vec![ServicePort {
                name: Some(PORT_NAME.into()),
                port: port as i32,
                target_port: Some(IntOrString::String(PORT_NAME.into())),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            load_balancer_source_ranges: (!source_ranges.is_empty()).then_some(source_ranges),
            external_traffic_policy: crate::sections::serving::service::external_traffic_policy(
                service_type,
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::minimal;
    use crate::compile::testing::pod;
    use crate::compile::testing::seed;
    use crate::compile::testing::volume;
    use crate::sections::model::ObjectStoreSource;
    use crate::sections::shared::images::AWS_CLI_IMAGE;
    use crate::sections::shared::images::GCLOUD_IMAGE;

    fn deployments(objects: &[Object]) -> Vec<&Deployment> {
        crate::bundle::typed(objects).collect()
    }

    fn service<'a>(objects: &'a [Object], name: &str) -> &'a Service {
        objects
            .iter()
            .find_map(|o| match o {
                Object::Service(s) if o.name() == name => Some(s),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no Service {name}"))
    }

    #[test]
    fn rolling_update_gives_one_deployment_with_a_named_http_port_and_probes() {
        let objects = compile(&minimal(), Scope::Full);
        let deployments = deployments(&objects);
        assert_eq!(deployments.len(), 1);
        let pod = pod(deployments[0]);
        let server = &pod.containers[0];
        let port = &server.ports.as_ref().unwrap()[0];
        assert_eq!(
            (port.name.as_deref(), port.container_port),
            (Some("http"), 8000)
        );
        let path = |p: &Option<Probe>| p.as_ref().unwrap().http_get.as_ref().unwrap().path.clone();
        assert_eq!(
            path(&server.liveness_probe).as_deref(),
            Some("/v2/health/live")
        );
        assert_eq!(
            path(&server.readiness_probe).as_deref(),
            Some("/v2/health/ready")
        );
        assert_eq!(
            path(&server.startup_probe).as_deref(),
            Some("/v2/health/ready")
        );
    }

    /// GIVEN the default batching, or a spec's own; WHEN compiled; THEN the server container
    /// carries both batching variables with those values.
    #[test]
    fn batching_settings_reach_the_server_as_contract_variables() {
        let env_of = |spec: &AppSpec| -> BTreeMap<String, String> {
            let objects = compile(spec, Scope::Full);
            let pod = pod(deployments(&objects)[0]);
            pod.containers[0]
                .env
                .as_ref()
                .unwrap()
                .iter()
                .map(|e| (e.name.clone(), e.value.clone().unwrap_or_default()))
                .collect()
        };
        let env = env_of(&minimal());
        assert_eq!(env[ENV_BATCH_MAX_SIZE], "64");
        assert_eq!(env[ENV_BATCH_QUEUE_DELAY], "0");
        let mut spec = minimal();
        let RuntimeSpec::SlipwayServe(serve) = &mut spec.spec.inference.runtime else {
            panic!("minimal uses slipway-serve");
        };
        serve.batching.max_batch_size = 1;
        serve.batching.max_queue_delay_microseconds = 500;
        let env = env_of(&spec);
        assert_eq!(
            (
                env[ENV_BATCH_MAX_SIZE].as_str(),
                env[ENV_BATCH_QUEUE_DELAY].as_str()
            ),
            ("1", "500")
        );
    }

    #[test]
    fn the_service_targets_the_named_port_and_selects_the_deployment_pods() {
        let objects = compile(&minimal(), Scope::Full);
        let svc = service(&objects, "demo").spec.as_ref().unwrap();
        let port = &svc.ports.as_ref().unwrap()[0];
        assert_eq!(port.target_port, Some(IntOrString::String("http".into())));
        let pod_labels = crate::compile::testing::pod_labels(deployments(&objects)[0]);
        for (key, value) in svc.selector.as_ref().unwrap() {
            assert_eq!(pod_labels.get(key), Some(value), "{key}");
        }
    }

    #[test]
    fn blue_green_services_select_one_color_each() {
        let objects = compile(&seed(), Scope::Full);
        assert_eq!(deployments(&objects).len(), 2);
        let main = service(&objects, "ai-inference").spec.as_ref().unwrap();
        let preview = service(&objects, "ai-inference-preview")
            .spec
            .as_ref()
            .unwrap();
        assert_eq!(
            main.selector.as_ref().unwrap()[labels::COLOR_LABEL],
            "green"
        );
        assert_eq!(
            preview.selector.as_ref().unwrap()[labels::COLOR_LABEL],
            "blue"
        );
    }

    /// Flipping `rollout.blueGreen.active` changes no pod template: what each color runs
    /// (image, model version) stays. It changes the selectors of the Services that follow the
    /// active color (`<app>`, `<app>-preview`, and `<app>-external`, which sends production
    /// traffic too), and the scaling that follows it: the HPA moves to the new active color,
    /// and the old one drops to `idleReplicas`. Nothing else in the bundle changes.
    #[test]
    fn switching_colors_moves_traffic_and_scaling_and_nothing_that_runs() {
        let green = seed();
        let mut blue = green.clone();
        blue.spec.rollout.blue_green.as_mut().unwrap().active = Color::Blue;
        let (before, after) = (
            crate::compile::compile(&green),
            crate::compile::compile(&blue),
        );
        assert_eq!(before.files, after.files);
        let index = |bundle: &crate::bundle::Bundle| -> BTreeMap<(String, String), Object> {
            bundle
                .objects
                .iter()
                .map(|o| ((o.kind().to_string(), o.name().to_string()), o.clone()))
                .collect()
        };
        let (before, after) = (index(&before), index(&after));
        let hpa = |name: &str| ("HorizontalPodAutoscaler".to_string(), name.to_string());
        assert!(before.contains_key(&hpa("ai-inference-green")));
        assert!(after.contains_key(&hpa("ai-inference-blue")));
        let mut changed = Vec::new();
        for (key, a) in &before {
            let Some(b) = after.get(key) else {
                assert_eq!(key, &hpa("ai-inference-green"), "{key:?} disappeared");
                continue;
            };
            if a == b {
                continue;
            }
            match (a, b) {
                (Object::Service(a), Object::Service(b)) => {
                    let color = |s: &Service| {
                        s.spec.as_ref().unwrap().selector.as_ref().unwrap()[labels::COLOR_LABEL]
                            .clone()
                    };
                    assert_ne!(color(a), color(b));
                    let (mut a, mut b) = (a.clone(), b.clone());
                    a.spec.as_mut().unwrap().selector = None;
                    b.spec.as_mut().unwrap().selector = None;
                    assert_eq!(a, b, "{key:?} changed beyond its selector");
                }
                (Object::Deployment(a), Object::Deployment(b)) => {
                    let (mut a, mut b) = (a.clone(), b.clone());
                    let replicas = |d: &mut Deployment| d.spec.as_mut().unwrap().replicas.take();
                    let (from, to) = (replicas(&mut a), replicas(&mut b));
                    assert_eq!(a, b, "{key:?} changed beyond its replicas");
                    // The HPA owns the active color's count; the idle color runs 1.
                    match key.1.as_str() {
                        "ai-inference-blue" => assert_eq!((from, to), (Some(1), None)),
                        _ => assert_eq!((from, to), (None, Some(1))),
                    }
                }
                _ => panic!("{key:?} changed"),
            }
            changed.push(key.1.clone());
        }
        assert_eq!(
            changed,
            [
                "ai-inference-blue",
                "ai-inference-green",
                "ai-inference",
                "ai-inference-external",
                "ai-inference-preview",
            ]
        );
        assert_eq!(after.len(), before.len());
    }

    #[test]
    fn each_color_serves_its_own_model_version_and_tells_the_server() {
        let objects = compile(&seed(), Scope::Full);
        let served: Vec<(String, String, String)> = deployments(&objects)
            .iter()
            .map(|d| {
                let pod = pod(*d);
                let env = pod.containers[0].env.clone().unwrap();
                let var = |name: &str| {
                    env.iter()
                        .find(|e| e.name == name)
                        .and_then(|e| e.value.clone())
                        .unwrap()
                };
                (
                    d.metadata.name.clone().unwrap(),
                    var("MODEL_VERSION"),
                    var("MODEL_PATH"),
                )
            })
            .collect();
        assert_eq!(
            served,
            [
                (
                    "ai-inference-blue".into(),
                    "1".into(),
                    "/models/1/model.onnx".into()
                ),
                (
                    "ai-inference-green".into(),
                    "2".into(),
                    "/models/2/model.onnx".into()
                ),
            ]
        );
    }

    #[test]
    fn the_idle_color_runs_its_small_count_and_the_active_one_is_left_to_the_hpa() {
        let mut spec = seed();
        let replicas = |spec: &AppSpec| -> Vec<Option<i32>> {
            deployments(&compile(spec, Scope::Full))
                .iter()
                .map(|d| d.spec.as_ref().unwrap().replicas)
                .collect()
        };
        assert_eq!(replicas(&spec), [Some(1), None], "blue idle, green active");
        spec.spec.rollout.blue_green.as_mut().unwrap().idle_replicas = 0;
        assert_eq!(replicas(&spec), [Some(0), None]);
        spec.spec.scaling.hpa = None;
        assert_eq!(
            replicas(&spec),
            [Some(0), Some(3)],
            "no HPA: inference.replicas"
        );
    }

    #[test]
    fn a_gs_model_is_fetched_with_the_cloud_cli_and_a_mounted_key() {
        let mut spec = minimal();
        spec.spec.model.source = ModelSource::ObjectStore(ObjectStoreSource {
            uri: "gs://models/demo/{version}/model.onnx".into(),
            credentials_secret: Some("gcp-key".into()),
            identity: None,
            image: None,
            size_limit: "1Gi".parse().unwrap(),
        });
        spec.spec.model.version = "7".into();
        let objects = compile(&spec, Scope::Full);
        let pod = pod(deployments(&objects)[0]);
        let init = &pod.init_containers.as_ref().unwrap()[0];
        assert_eq!(init.image.as_deref(), Some(GCLOUD_IMAGE));
        let args = init.args.clone().unwrap();
        assert_eq!(
            args[args.len() - 2..],
            [
                "gs://models/demo/7/model.onnx".to_string(),
                "/models/7/model.onnx".to_string()
            ]
        );
        let env = init.env.clone().unwrap();
        assert!(
            env.iter()
                .any(|e| e.name == "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE")
        );
        let key = volume(pod, "gcp-credentials");
        assert_eq!(
            key.secret.as_ref().unwrap().secret_name.as_deref(),
            Some("gcp-key")
        );
    }

    #[test]
    fn the_model_is_mounted_read_only_and_its_path_passed_to_the_server() {
        let objects = compile(&seed(), Scope::Full);
        let pod = pod(deployments(&objects)[0]);
        let server = &pod.containers[0];
        let mount = server
            .volume_mounts
            .as_ref()
            .unwrap()
            .iter()
            .find(|m| m.name == "model")
            .unwrap();
        assert_eq!(
            (mount.mount_path.as_str(), mount.read_only),
            ("/models", Some(true))
        );
        let env = server.env.as_ref().unwrap();
        let model_path = env.iter().find(|e| e.name == "MODEL_PATH").unwrap();
        assert_eq!(model_path.value.as_deref(), Some("/models/1/model.onnx"));
    }

    #[test]
    fn an_object_store_model_is_fetched_by_an_init_container() {
        let mut spec = minimal();
        spec.spec.model.source = ModelSource::ObjectStore(ObjectStoreSource {
            uri: "s3://models/demo/model.onnx".into(),
            credentials_secret: Some("s3-creds".into()),
            identity: None,
            image: None,
            size_limit: "1Gi".parse().unwrap(),
        });
        let objects = compile(&spec, Scope::Full);
        let pod = pod(deployments(&objects)[0]);
        let init = &pod.init_containers.as_ref().unwrap()[0];
        assert_eq!(init.image.as_deref(), Some(AWS_CLI_IMAGE));
        assert!(
            init.args
                .as_ref()
                .unwrap()
                .contains(&"s3://models/demo/model.onnx".to_string())
        );
        assert!(
            init.env
                .as_ref()
                .unwrap()
                .iter()
                .all(|e| e.value_from.is_some() || ["HOME", "MODEL_URI"].contains(&e.name.as_str()))
        );
    }

    #[test]
    fn an_hpa_owns_the_replica_count() {
        let mut spec = minimal();
        assert_eq!(
            deployments(&compile(&spec, Scope::Full))[0]
                .spec
                .as_ref()
                .unwrap()
                .replicas,
            Some(2)
        );
        spec.spec.scaling.hpa = Some(crate::sections::scaling::HpaSpec {
            min_replicas: 2,
            max_replicas: 5,
            cpu_utilization: Some(70),
            memory_utilization: None,
            scale_down_stabilization_seconds: 300,
        });
        assert_eq!(
            deployments(&compile(&spec, Scope::Full))[0]
                .spec
                .as_ref()
                .unwrap()
                .replicas,
            None
        );
    }
}
