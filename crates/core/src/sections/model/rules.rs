//! The rules of the `model` section.

use crate::diagnostic::Diagnostic;
use crate::k8s::name::dns_name;
use crate::sections::AppSpec;
use crate::sections::model::ModelSource;
use crate::sections::model::StoreUri;

/// Reports [`MODEL_SOURCE`](MODEL_SOURCE).
pub(crate) fn check_model(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let model = &spec.spec.model;
    if !model.path.starts_with('/') || model.path.ends_with('/') {
        out.push(
            Diagnostic::new(
                &MODEL_SOURCE,
                "spec.model.path",
                format!("model path `{}` must be an absolute file path", model.path),
            )
            .with_help("e.g. `/models/model.onnx`"),
        );
    } else if model.path.matches('/').count() < 2 {
        out.push(
            Diagnostic::new(
                &MODEL_SOURCE,
                "spec.model.path",
                format!("model path `{}` must be inside a directory, which the model volume is mounted at", model.path),
            )
            .with_help("e.g. `/models/model.onnx`"),
        );
    } else if !model.path.ends_with(".onnx") {
        out.push(
            Diagnostic::new(
                &MODEL_FORMAT,
                "spec.model.path",
                format!("model path `{}` does not end in .onnx", model.path),
            )
            .with_help("slipway-serve loads ONNX files"),
        );
    }
    if let ModelSource::Pvc(claim) = &model.source
        && claim.access_mode == crate::sections::AccessMode::ReadOnlyMany
        && spec
            .spec
            .training
            .as_ref()
            .and_then(|t| t.output_claim(model))
            .is_some_and(|output| output.claim_name == claim.claim_name)
    {
        out.push(
            Diagnostic::new(
                &MODEL_SOURCE,
                "spec.model.source.pvc.accessMode",
                format!(
                    "training writes the model claim `{}`, which is ReadOnlyMany: the training Job cannot mount it read-write",
                    claim.claim_name
                ),
            )
            .with_help("use `accessMode: ReadWriteMany` (training writes it, inference pods on many nodes read it)"),
        );
    }
    if let ModelSource::Pvc(claim) = &model.source {
        let max_replicas = spec
            .spec
            .scaling
            .hpa
            .as_ref()
            .map_or(spec.spec.inference.replicas(), |hpa| hpa.max_replicas);
        let several = max_replicas > 1 || spec.spec.rollout.blue_green.is_some();
        if several && claim.access_mode == crate::sections::AccessMode::ReadWriteOnce {
            out.push(
                Diagnostic::new(
                    &MODEL_CLAIM_ACCESS,
                    "spec.model.source.pvc.accessMode",
                    "the model claim is ReadWriteOnce, but several inference pods mount it",
                )
                .with_help("pods on other nodes cannot mount a ReadWriteOnce volume; use `accessMode: ReadWriteMany` (or ReadOnlyMany when nothing in the bundle writes it), or an objectStore source"),
            );
        }
    }
    let versions = std::iter::once(("spec.model.version".to_string(), &model.version))
        .chain(
            model
                .existing_versions
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("spec.model.existingVersions[{i}]"), v)),
        )
        .chain(spec.spec.rollout.blue_green.iter().flat_map(|bg| {
            crate::sections::Color::ALL.into_iter().filter_map(|color| {
                bg.slot(color).model_version.as_ref().map(|v| {
                    (
                        format!("spec.rollout.blueGreen.{}.modelVersion", color.as_str()),
                        v,
                    )
                })
            })
        }));
    for (path, version) in versions {
        let valid = !version.is_empty()
            && version.len() <= 63
            && version != "."
            && version != ".."
            && version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !valid {
            out.push(
                Diagnostic::new(
                    &MODEL_SOURCE,
                    path,
                    format!("model version `{version}` is not a path segment of letters, digits, `.`, `_` and `-` (at most 63)"),
                )
                .with_help("e.g. `2`, `v2.1` or `2026-11-30`; it names a directory of the model store"),
            );
        }
    }
    if let ModelSource::ObjectStore(store) = &model.source {
        let uri = crate::sections::model::StoreUri::parse(&store.uri);
        if uri.is_none() {
            out.push(
                Diagnostic::new(
                    &MODEL_SOURCE,
                    "spec.model.source.objectStore.uri",
                    format!(
                        "`{}` is not a model URI the init container can fetch",
                        store.uri
                    ),
                )
                .with_help("use `s3://bucket/key`, `gs://bucket/object`, `azure://account/container/blob`, `hf://org/repo[@revision]/path` or `https://host/path`"),
            );
        }
        if store.credentials_secret.is_some()
            && uri.is_some_and(|uri| uri.scheme.secret_keys().is_empty())
        {
            out.push(
                Diagnostic::new(
                    &UNUSED_CREDENTIALS,
                    "spec.model.source.objectStore.credentialsSecret",
                    "credentialsSecret is not used for https:// URIs",
                )
                .with_help("remove it, or use an s3://, gs://, azure:// or hf:// URI"),
            );
        }
    }
}

/// Reports [`MODEL_STORE_IDENTITY`] (the URI itself is checked by `model-source`).
pub(crate) fn check_store_identity(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    for (i, secret) in spec.spec.security.image_pull_secrets.iter().enumerate() {
        dns_name(
            out,
            format!("spec.security.imagePullSecrets[{i}]"),
            secret,
            "Secret",
        );
    }
    let ModelSource::ObjectStore(store) = &spec.spec.model.source else {
        return;
    };
    let Some(identity) = &store.identity else {
        return;
    };
    let path = "spec.model.source.objectStore.identity";
    if store.credentials_secret.is_some() {
        out.push(
            Diagnostic::new(
                &MODEL_STORE_IDENTITY,
                path,
                "the model store has both a workload identity and a credentialsSecret",
            )
            .with_help("keep the identity (no long-lived key) and drop credentialsSecret"),
        );
    }
    let Some(uri) = StoreUri::parse(&store.uri) else {
        return;
    };
    match uri.scheme.identity_provider() {
        Some(provider) if provider == identity.provider() => {}
        Some(provider) => out.push(
            Diagnostic::new(
                &MODEL_STORE_IDENTITY,
                path,
                format!(
                    "the `{}` identity cannot read `{}://` URIs",
                    identity.provider(),
                    uri.scheme.as_str()
                ),
            )
            .with_help(format!("use `identity: {{{provider}: ...}}`")),
        ),
        None => out.push(
            Diagnostic::new(
                &MODEL_STORE_IDENTITY,
                path,
                format!(
                    "`{}://` URIs take no workload identity",
                    uri.scheme.as_str()
                ),
            )
            .with_help(if uri.scheme == crate::sections::model::StoreScheme::Hf {
                "give a private model's token as `credentialsSecret` (key `HF_TOKEN`)"
            } else {
                "remove `identity`"
            }),
        ),
    }
}

crate::diagnostic::codes! {
    MODEL_SOURCE {
        id: "model-source",
        severity: Error,
        stage: Spec,
        what: "Checks `model`: an absolute `path` ending in `.onnx`, model versions that are path segments, an object-store `uri` that the init container can fetch (`s3://bucket/key`, `gs://bucket/object`, `azure://account/container/blob`, `hf://org/repo[@revision]/path` or `https://…`), and warns when several inference pods share a `ReadWriteOnce` model claim.",
        why: "A relative path, a version with a `/`, or an `ftp://` URI renders fine and fails only when the pod starts.",
        example: "`path: models/model.onnx`",
        instead: "`path: /models/model.onnx`",
    }
    MODEL_FORMAT {
        id: "model-format",
        severity: Warning,
        stage: Spec,
        what: "Warns when `model.path` does not end in `.onnx` while the built-in runtime serves it.",
        why: "slipway-serve loads ONNX files only; another format fails at start-up, after the rollout began.",
        example: "`model: {path: /models/model.pt}`",
        instead: "`model: {path: /models/model.onnx}` (export the model to ONNX), or a custom runtime",
    }
    MODEL_CLAIM_ACCESS {
        id: "model-claim-access",
        severity: Warning,
        stage: Spec,
        what: "Warns when the model's PersistentVolumeClaim is `ReadWriteOnce` but several inference pods mount it (more than one replica, an HPA, or blue/green).",
        why: "A ReadWriteOnce volume attaches to one node: pods scheduled elsewhere stay `ContainerCreating` forever.",
        example: "`source: {pvc: {claimName: models, accessMode: ReadWriteOnce}}` with `replicas: 3`",
        instead: "`accessMode: ReadOnlyMany`, or an `objectStore` source fetched by each pod",
    }
    UNUSED_CREDENTIALS {
        id: "unused-credentials",
        severity: Warning,
        stage: Spec,
        what: "Warns when an object-store model source names a `credentialsSecret` for a URI scheme that does not use it.",
        why: "The Secret is mounted but never read, which suggests the URI or the scheme is not what was meant.",
        example: "`objectStore: {uri: https://models.example.com/m.onnx, credentialsSecret: s3-creds}`",
        instead: "drop `credentialsSecret`, or use an `s3://` or `gs://` URI",
    }
    MODEL_STORE_IDENTITY {
        id: "model-store-identity",
        severity: Error,
        stage: Spec,
        what: "Checks how an object-store model gets credentials: a workload identity of the store's cloud (`aws` for `s3://`, `gcp` for `gs://`, `azure` for `azure://`), none for `hf://` and `https://`, and not both an identity and a `credentialsSecret`.",
        why: "An IAM role cannot read a Google bucket: the fetch init container fails with 403 and the pod never starts. With both an identity and a Secret it is unclear which one the tool uses.",
        example: "`objectStore: {uri: gs://models/m.onnx, identity: {aws: {roleArn: arn:aws:iam::1:role/models}}}`",
        instead: "`objectStore: {uri: gs://models/m.onnx, identity: {gcp: {serviceAccount: models@p.iam.gserviceaccount.com}}}`",
    }
}
