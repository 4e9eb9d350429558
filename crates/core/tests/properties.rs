//! Properties of the compiler over generated valid specs: compiling never panics, output is
//! deterministic, every Service selects the pods of exactly one workload (and color), and every
//! object round-trips through its k8s-openapi type.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use slipway_core::diagnostic::render_all;
use slipway_core::spec::{
    AppSpec, BlueGreenSpec, Color, ColorSlot, CustomRuntimeSpec, GpuSpec, HpaSpec, ModelSource,
    ObjectStoreSource, OutputMount, RuntimeSpec, TrainingSpec, VolumeClaim,
};
use slipway_core::validate;
use slipway_core::{Bundle, compile, render, yaml};

/// The knobs a generated spec turns.
#[derive(Debug, Clone)]
struct Knobs {
    name: String,
    namespace: Option<String>,
    replicas: i32,
    cpu_request_m: u32,
    cpu_limit_factor: u32,
    memory_request_mi: u32,
    memory_limit_factor: u32,
    blue_green: Option<Color>,
    hpa: Option<(i32, i32, i32)>,
    gpus: u32,
    training: Option<(u32, bool)>,
    object_store: Option<bool>,
}

fn color() -> impl Strategy<Value = Color> {
    prop_oneof![Just(Color::Blue), Just(Color::Green)]
}

fn knobs() -> impl Strategy<Value = Knobs> {
    (
        (
            "[a-z]([a-z0-9-]{0,14}[a-z0-9])?",
            proptest::option::of("[a-z][a-z0-9]{0,10}"),
            1..=10i32,
            50..=2000u32,
            1..=4u32,
            64..=8192u32,
            1..=4u32,
        ),
        (
            proptest::option::of(color()),
            proptest::option::of((1..=3i32, 0..=10i32, 30..=95i32)),
            0..=2u32,
            proptest::option::of((0..=2u32, any::<bool>())),
            proptest::option::of(any::<bool>()),
        ),
    )
        .prop_map(
            |(
                (name, namespace, replicas, cpu, cpu_factor, memory, memory_factor),
                (blue_green, hpa, gpus, training, object_store),
            )| Knobs {
                name,
                namespace,
                replicas,
                cpu_request_m: cpu,
                cpu_limit_factor: cpu_factor,
                memory_request_mi: memory,
                memory_limit_factor: memory_factor,
                blue_green,
                hpa: hpa.map(|(min, extra, cpu)| (min, min + extra, cpu)),
                gpus,
                training,
                object_store,
            },
        )
}

/// A valid spec built in code from the knobs.
fn spec(knobs: &Knobs) -> AppSpec {
    let name = &knobs.name;
    let source = match knobs.object_store {
        None => {
            let mut claim = VolumeClaim::new(format!("{name}-model"));
            // Slipway creates the claim when training writes it; else it exists with version 1.
            claim.create = knobs.training.is_some();
            ModelSource::Pvc(claim)
        }
        Some(s3) => {
            let uri = if s3 {
                format!("s3://models/{name}/{{version}}/model.onnx")
            } else {
                format!("https://models.example.com/{name}/{{version}}/model.onnx")
            };
            ModelSource::ObjectStore(ObjectStoreSource::new(uri))
        }
    };
    let mut app = AppSpec::new(name.clone(), source);
    app.metadata.namespace = knobs.namespace.clone();
    // Version 1 is in the store already (training, when on, writes it again).
    app.spec.model.existing_versions = vec!["1".into()];

    let inference = &mut app.spec.inference;
    inference.replicas = Some(knobs.replicas);
    let resources = &mut inference.resources;
    let quantity = |text: String| Some(text.parse().expect("a valid quantity"));
    resources.requests.cpu = quantity(format!("{}m", knobs.cpu_request_m));
    resources.limits.cpu = quantity(format!("{}m", knobs.cpu_request_m * knobs.cpu_limit_factor));
    resources.requests.memory = quantity(format!("{}Mi", knobs.memory_request_mi));
    resources.limits.memory = quantity(format!(
        "{}Mi",
        knobs.memory_request_mi * knobs.memory_limit_factor
    ));

    app.spec.rollout.blue_green = knobs.blue_green.map(|active| BlueGreenSpec {
        active,
        blue: ColorSlot {
            image: format!("registry.example.com/{name}:1.0"),
            version: None,
            model_version: Some("1".into()),
        },
        green: ColorSlot {
            image: format!("registry.example.com/{name}:2.0"),
            version: Some("v2".into()),
            model_version: None,
        },
        idle_replicas: 1,
        engine: Default::default(),
        switching: false,
        scale_down_delay: "30s".parse().unwrap(),
    });
    app.spec.scaling.hpa = knobs.hpa.map(|(min, max, cpu)| {
        let mut hpa = HpaSpec::new(max);
        hpa.min_replicas = min;
        hpa.cpu_utilization = Some(cpu);
        hpa
    });
    if knobs.gpus > 0 {
        // slipway-serve runs on the CPU: only a custom runtime is given GPUs.
        app.spec.inference.runtime = RuntimeSpec::Custom(CustomRuntimeSpec {
            image: format!("registry.example.com/{name}-gpu:1.0"),
            command: Vec::new(),
            args: Vec::new(),
            metrics_path: Some("/metrics".into()),
        });
        app.spec.scheduling.gpu = Some(GpuSpec {
            count: knobs.gpus.into(),
            resource_name: "nvidia.com/gpu".into(),
            tolerate_gpu_taint: true,
        });
    }
    app.spec.training = knobs.training.map(|(gpus, scheduled)| {
        let mut training = TrainingSpec::new(format!("registry.example.com/{name}-train:1.0"));
        training.gpus = gpus;
        training.schedule = scheduled.then(|| "0 3 * * *".parse().unwrap());
        // Training writes the model's claim, or uploads to the s3 store (its default); an
        // https store cannot be written, so training keeps a claim of its own there.
        training.output = Some(OutputMount {
            mount_path: "/output".into(),
            claim: (knobs.object_store == Some(false))
                .then(|| VolumeClaim::new(format!("{name}-output"))),
        });
        training
    });
    app
}

/// Labels of the pods each workload runs: (kind/name, pod template labels).
fn pod_labels(bundle: &Bundle) -> Vec<(String, BTreeMap<String, String>)> {
    bundle
        .objects
        .iter()
        .filter_map(|object| {
            let value = object.to_value();
            let template = match object.kind() {
                "Deployment" | "DaemonSet" | "StatefulSet" | "Job" => &value["spec"]["template"],
                "CronJob" => &value["spec"]["jobTemplate"]["spec"]["template"],
                _ => return None,
            };
            let labels =
                serde_json::from_value(template["metadata"]["labels"].clone()).unwrap_or_default();
            Some((format!("{}/{}", object.kind(), object.name()), labels))
        })
        .collect()
}

/// Deserialises `value` into `T` and serialises it back.
fn round_trip<T: DeserializeOwned + Serialize>(value: &Value) -> Value {
    let typed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|error| panic!("does not read as its k8s-openapi type: {error}\n{value}"));
    serde_json::to_value(typed).expect("k8s-openapi objects serialise")
}

/// The rendered document read back through the k8s-openapi type of its kind; `None` for
/// custom resources (not k8s-openapi types).
fn through_k8s_openapi(document: &Value) -> Option<Value> {
    use k8s_openapi::api::{
        apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch, core::v1 as core,
        networking::v1 as networking, policy::v1 as policy, rbac::v1 as rbac,
        scheduling::v1 as scheduling,
    };
    let kind = document["kind"]
        .as_str()
        .expect("every document has a kind");
    Some(match kind {
        "Namespace" => round_trip::<core::Namespace>(document),
        "ServiceAccount" => round_trip::<core::ServiceAccount>(document),
        "ConfigMap" => round_trip::<core::ConfigMap>(document),
        "Secret" => round_trip::<core::Secret>(document),
        "PersistentVolumeClaim" => round_trip::<core::PersistentVolumeClaim>(document),
        "Service" => round_trip::<core::Service>(document),
        "PriorityClass" => round_trip::<scheduling::PriorityClass>(document),
        "ClusterRole" => round_trip::<rbac::ClusterRole>(document),
        "ClusterRoleBinding" => round_trip::<rbac::ClusterRoleBinding>(document),
        "Role" => round_trip::<rbac::Role>(document),
        "RoleBinding" => round_trip::<rbac::RoleBinding>(document),
        "NetworkPolicy" => round_trip::<networking::NetworkPolicy>(document),
        "Deployment" => round_trip::<apps::Deployment>(document),
        "DaemonSet" => round_trip::<apps::DaemonSet>(document),
        "StatefulSet" => round_trip::<apps::StatefulSet>(document),
        "Job" => round_trip::<batch::Job>(document),
        "CronJob" => round_trip::<batch::CronJob>(document),
        "HorizontalPodAutoscaler" => round_trip::<autoscaling::HorizontalPodAutoscaler>(document),
        "PodDisruptionBudget" => round_trip::<policy::PodDisruptionBudget>(document),
        _ => {
            // Custom resources have a dotted, non-Kubernetes API group.
            let api_version = document["apiVersion"].as_str().unwrap_or_default();
            let group = api_version.split_once('/').map(|(g, _)| g).unwrap_or("");
            assert!(
                group.contains('.') && !group.ends_with(".k8s.io"),
                "{kind} ({api_version}) is a Kubernetes kind: add it to through_k8s_openapi"
            );
            return None;
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn valid_specs_compile_deterministically_into_sound_objects(knobs in knobs()) {
        let app = spec(&knobs);
        let diagnostics = validate::check(&app);
        prop_assert!(
            !validate::has_errors(&diagnostics),
            "the generator made an invalid spec:\n{}",
            render_all(&diagnostics, None)
        );

        // Compiling never panics (a panic fails the case) and is deterministic.
        let bundle = compile(&app);
        let yaml = render::to_yaml(&bundle);
        prop_assert_eq!(&yaml, &render::to_yaml(&compile(&app)));
        prop_assert_eq!(render::to_files(&bundle), render::to_files(&compile(&app.clone())));

        // The objects work as one system: every server's model is written or declared.
        let system = validate::system(&app, None, &bundle);
        prop_assert!(
            !validate::has_errors(&system),
            "the bundle does not work as one system:\n{}",
            render_all(&system, None)
        );

        // Every traffic-carrying Service selects the pods of exactly one workload, and one
        // color. Headless Services (`clusterIP: None`, the metrics endpoints list) carry no
        // traffic and may list both colors; they must still select some pods.
        let workloads = pod_labels(&bundle);
        for service in bundle.of_kind("Service") {
            let headless = service.to_value()["spec"]["clusterIP"] == "None";
            let selector: BTreeMap<String, String> =
                serde_json::from_value(service.to_value()["spec"]["selector"].clone())
                    .unwrap_or_default();
            prop_assert!(!selector.is_empty(), "Service {} selects nothing", service.name());
            let selected: Vec<_> = workloads
                .iter()
                .filter(|(_, labels)| selector.iter().all(|(k, v)| labels.get(k) == Some(v)))
                .collect();
            if headless {
                prop_assert!(!selected.is_empty(), "headless Service {} selects no pods", service.name());
                continue;
            }
            prop_assert_eq!(
                selected.len(),
                1,
                "Service {} selects {:?}",
                service.name(),
                selected.iter().map(|(name, _)| name).collect::<Vec<_>>()
            );
            if knobs.blue_green.is_some() {
                prop_assert!(
                    selector.contains_key("slipway.dev/color"),
                    "blue/green Service {} does not select a color",
                    service.name()
                );
            }
        }
        if let Some(active) = knobs.blue_green {
            let main = bundle.find("Service", &knobs.name).expect("the main Service exists");
            let main = main.to_value();
            prop_assert_eq!(
                main["spec"]["selector"]["slipway.dev/color"].as_str(),
                Some(active.as_str())
            );
        }

        // Every rendered document round-trips through its k8s-openapi type.
        let documents: Vec<&str> = yaml.split("---\n").filter(|d| !d.is_empty()).collect();
        prop_assert_eq!(documents.len(), bundle.objects.len());
        for document in documents {
            let value: Value = yaml::from_str(document).expect("rendered YAML parses");
            if let Some(back) = through_k8s_openapi(&value) {
                prop_assert_eq!(&back, &value, "{} changed in the round trip", value["kind"]);
            }
        }
    }
}
