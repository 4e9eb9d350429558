//! Builds an application in code (no YAML), validates and compiles it, adds a cert-manager
//! Certificate for its external Service, and prints the YAML.
//!
//! ```text
//! cargo run -p slipway-core --example in_code
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::json;
use slipway_core::diagnostic::render_all;
use slipway_core::spec::{
    AppSpec, BlueGreenSpec, Color, ColorSlot, ExternalServiceSpec, HpaSpec, ModelSource,
    ObjectStoreSource,
};
use slipway_core::validate;
use slipway_core::{CustomObject, compile, render};

fn main() -> ExitCode {
    // The model is fetched from object storage by an init container, one file per version.
    // The risk team's pipeline publishes the versions there: they are declared existing.
    let mut source = ObjectStoreSource::new("s3://models/fraud-detector/{version}/model.onnx");
    source.credentials_secret = Some("model-store-credentials".into());
    let mut app = AppSpec::new("fraud-detector", ModelSource::ObjectStore(source));
    app.spec.model.version = "2026-11-15".into();
    app.spec.model.existing_versions = vec!["2026-11-01".into(), "2026-11-15".into()];
    app.metadata.namespace = Some("risk".into());
    app.metadata.labels.insert("team".into(), "risk".into());

    let inference = &mut app.spec.inference;
    inference.replicas = Some(3);
    inference.resources.requests.cpu = Some("500m".parse().expect("a quantity"));
    inference.resources.limits.cpu = Some("2".parse().expect("a quantity"));
    inference.env.insert("LOG_LEVEL".into(), "info".into());
    inference.service.external = Some(ExternalServiceSpec {
        port: 443,
        annotations: BTreeMap::new(),
        source_ranges: vec!["10.0.0.0/8".into()],
    });

    let mut hpa = HpaSpec::new(12);
    hpa.cpu_utilization = Some(70);
    app.spec.scaling.hpa = Some(hpa);

    // Blue serves the older model, green (idle, one pod) the newer one on a newer server.
    app.spec.rollout.blue_green = Some(BlueGreenSpec {
        active: Color::Blue,
        blue: ColorSlot {
            image: "ghcr.io/slipway-dev/slipway-serve:0.1.0".into(),
            version: None,
            model_version: Some("2026-11-01".into()),
        },
        green: ColorSlot {
            image: "ghcr.io/slipway-dev/slipway-serve:0.2.0".into(),
            version: None,
            model_version: None,
        },
        idle_replicas: 1,
        engine: Default::default(),
        switching: false,
        scale_down_delay: "30s".parse().unwrap(),
    });

    // Validate: a spec built in code has field paths but no file positions.
    let mut diagnostics = validate::check(&app);
    if !diagnostics.is_empty() {
        eprint!("{}", render_all(&diagnostics, None));
    }
    if validate::has_errors(&diagnostics) {
        return ExitCode::FAILURE;
    }

    // Compile, then add an object of a kind Slipway does not emit: a cert-manager
    // Certificate for the external Service.
    let mut bundle = compile(&app);
    // The system rules: every server's model is written by the bundle or declared existing.
    diagnostics = validate::system(&app, None, &bundle);
    if validate::has_errors(&diagnostics) {
        eprint!("{}", render_all(&diagnostics, None));
        return ExitCode::FAILURE;
    }
    let namespace = app.metadata.namespace().to_string();
    bundle.push(CustomObject {
        api_version: "cert-manager.io/v1".into(),
        kind: "Certificate".into(),
        metadata: ObjectMeta {
            name: Some("fraud-detector-tls".into()),
            namespace: Some(namespace),
            ..Default::default()
        },
        fields: BTreeMap::from([(
            "spec".into(),
            json!({
                "secretName": "fraud-detector-tls",
                "dnsNames": ["fraud-detector.risk.example.com"],
                "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt"},
            }),
        )]),
    });
    bundle.sort();

    print!("{}", render::to_yaml(&bundle));
    ExitCode::SUCCESS
}
