//! Models from any object store: the init container that fetches `model.source.objectStore`
//! into the model volume (`s3://` with the AWS CLI, `gs://` with the Google Cloud CLI,
//! `azure://` with the Azure CLI, `hf://` and `https://` with curl), and the workload identity
//! that gives it credentials without a Secret: annotations on the inference ServiceAccount
//! (IRSA, GKE Workload Identity, Azure Workload Identity) and, for Azure, the pod label its
//! webhook selects pods by.
//!
//! Every fetch runs as the restricted container every Slipway pod runs: non-root, read-only
//! root filesystem, so each tool's home and configuration directory is under `/tmp`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, EnvVar, SecretVolumeSource, Volume, VolumeMount};

use crate::bundle::Object;

use crate::sections::AppSpec;
use crate::sections::ResourceList;
use crate::sections::Resources;
use crate::sections::model::ModelSource;
use crate::sections::model::ModelSpec;
use crate::sections::model::ObjectStoreSource;
use crate::sections::model::StoreScheme;
use crate::sections::model::StoreUri;
use crate::sections::model::WorkloadIdentity;
use crate::sections::shared::images::AWS_CLI_IMAGE;
use crate::sections::shared::images::AZURE_CLI_IMAGE;
use crate::sections::shared::images::CURL_IMAGE;
use crate::sections::shared::images::GCLOUD_IMAGE;
use crate::sections::shared::pod;

/// Name of the fetch init container.
pub const FETCH_CONTAINER: &str = "fetch-model";
/// Volume holding a Google service-account key (`gs://` with a Secret).
const GCP_KEY_VOLUME: &str = "gcp-credentials";
/// Where [`GCP_KEY_VOLUME`] is mounted.
const GCP_KEY_DIR: &str = "/var/run/secrets/slipway/gcp";
/// Pod label Azure Workload Identity's webhook selects pods by.
pub const AZURE_USE_LABEL: &str = "azure.workload.identity/use";

/// The object-store source of the model, if it has one.
fn object_store(spec: &AppSpec) -> Option<&ObjectStoreSource> {
    match &spec.spec.model.source {
        ModelSource::ObjectStore(store) => Some(store),
        ModelSource::Pvc(_) => None,
    }
}

/// Annotations of the inference ServiceAccount that bind it to a cloud identity.
pub fn service_account_annotations(spec: &AppSpec) -> BTreeMap<String, String> {
    let Some(identity) = object_store(spec).and_then(|s| s.identity.as_ref()) else {
        return BTreeMap::new();
    };
    let pairs: Vec<(&str, &str)> = match identity {
        WorkloadIdentity::Aws(aws) => vec![("eks.amazonaws.com/role-arn", &aws.role_arn)],
        WorkloadIdentity::Gcp(gcp) => {
            vec![("iam.gke.io/gcp-service-account", &gcp.service_account)]
        }
        WorkloadIdentity::Azure(azure) => {
            let mut pairs = vec![(
                "azure.workload.identity/client-id",
                azure.client_id.as_str(),
            )];
            if let Some(tenant) = &azure.tenant_id {
                pairs.push(("azure.workload.identity/tenant-id", tenant));
            }
            pairs
        }
    };
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Binds a ServiceAccount of the application to the store's workload identity (no-op without
/// one): the inference account, and the training account when training uploads the model.
pub fn bind_identity(spec: &AppSpec, account: &mut Object) {
    let identity = service_account_annotations(spec);
    if !identity.is_empty() {
        account
            .metadata_mut()
            .annotations
            .get_or_insert_default()
            .extend(identity);
    }
}

/// Labels the inference pods need for their identity (Azure's webhook injects the token
/// only into pods labelled `azure.workload.identity/use: "true"`).
pub fn pod_labels(spec: &AppSpec) -> BTreeMap<String, String> {
    match object_store(spec).and_then(|s| s.identity.as_ref()) {
        Some(WorkloadIdentity::Azure(_)) => {
            BTreeMap::from([(AZURE_USE_LABEL.to_string(), "true".to_string())])
        }
        _ => BTreeMap::new(),
    }
}

fn var(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        ..Default::default()
    }
}

fn strings<const N: usize>(items: [&str; N]) -> Vec<String> {
    items.into_iter().map(String::from).collect()
}

/// Environment variable naming the object a fetch container downloads (and an upload
/// container writes: `MODEL_UPLOAD_URI`), so the system rules can match them.
pub const ENV_MODEL_URI: &str = "MODEL_URI";

/// Which way a copy goes between the object store and a local file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// From the store to the local file.
    Download,
    /// From the local file to the store.
    Upload,
}

/// The init container that downloads `version` of the model (`ModelSpec::versioned` of the
/// store URI, also in `MODEL_URI`) to `target` in `model_volume` (mounted at `model_dir`),
/// and the extra pod volumes it needs. `None` for a URI validation rejects.
pub fn fetch(
    spec: &AppSpec,
    store: &ObjectStoreSource,
    version: &str,
    target: String,
    model_volume: &str,
    model_dir: &str,
) -> Option<(Container, Vec<Volume>)> {
    let source = ModelSpec::versioned(&store.uri, version);
    let (mut container, volumes) = copy(
        spec,
        store,
        FETCH_CONTAINER,
        &source,
        target,
        Direction::Download,
    )?;
    container
        .env
        .get_or_insert_default()
        .push(var(ENV_MODEL_URI, source.clone()));
    container
        .volume_mounts
        .get_or_insert_default()
        .push(VolumeMount {
            name: model_volume.into(),
            mount_path: model_dir.to_string(),
            ..Default::default()
        });
    Some((container, volumes))
}

/// Whether training can upload a model to this store (`s3://`, `gs://`, `azure://`; not the
/// read-only `hf://` and `https://`).
pub fn can_upload(store: &ObjectStoreSource) -> bool {
    StoreUri::parse(&store.uri).is_some_and(|uri| {
        matches!(
            uri.scheme,
            StoreScheme::S3 | StoreScheme::Gs | StoreScheme::Azure
        )
    })
}

/// A container named `name` uploading the local file `source` to `target` (the store URI of
/// the model version), and the extra pod volumes it needs; `None` for a store training
/// cannot upload to (see [`can_upload`]). The caller mounts `source`.
pub fn upload(
    spec: &AppSpec,
    store: &ObjectStoreSource,
    name: &str,
    source: String,
    target: &str,
) -> Option<(Container, Vec<Volume>)> {
    if !can_upload(store) {
        return None;
    }
    copy(spec, store, name, target, source, Direction::Upload)
}

/// A container copying between the object at `uri` (s3, gs, azure, hf, https) and the local
/// file `local`, in `direction`, with the store's credentials; the caller mounts `local`.
fn copy(
    spec: &AppSpec,
    store: &ObjectStoreSource,
    name: &str,
    uri_text: &str,
    local: String,
    direction: Direction,
) -> Option<(Container, Vec<Volume>)> {
    let uri = StoreUri::parse(uri_text)?;
    let upload = direction == Direction::Upload;
    let secret = store.credentials_secret.as_deref();
    let identity = store.identity.is_some();
    let default_image = match uri.scheme {
        StoreScheme::S3 => AWS_CLI_IMAGE,
        StoreScheme::Gs => GCLOUD_IMAGE,
        StoreScheme::Azure => AZURE_CLI_IMAGE,
        StoreScheme::Hf | StoreScheme::Https => CURL_IMAGE,
    };
    let image = store.image.as_deref().unwrap_or(default_image);
    let mut container = pod::base_container(spec, name, image);
    // Every tool writes its cache or configuration under $HOME; only /tmp is writable.
    let mut env = vec![var("HOME", "/tmp")];
    let mut volumes = Vec::new();
    let secret_keys = |env: &mut Vec<EnvVar>| {
        if let Some(secret) = secret {
            for key in uri.scheme.secret_keys() {
                env.push(pod::secret_env(key, secret, key));
            }
        }
    };
    let (from, to) = if upload {
        (local.clone(), uri_text.to_string())
    } else {
        (uri_text.to_string(), local.clone())
    };
    let curl = |url: String, bearer: bool| {
        let mut args = strings([
            "--fail",
            "--silent",
            "--show-error",
            "--location",
            "--retry",
            "5",
        ]);
        if bearer {
            // Expanded by the kubelet from the container's own environment.
            args.extend(strings(["--oauth2-bearer", "$(HF_TOKEN)"]));
        }
        // A versioned target (`/models/2/model.onnx`) is below a directory not yet there.
        args.extend(strings(["--create-dirs", "--output"]));
        args.extend([local.clone(), url]);
        args
    };
    match uri.scheme {
        StoreScheme::S3 => {
            container.command = Some(strings(["aws"]));
            container.args = Some(vec![
                "s3".into(),
                "cp".into(),
                "--only-show-errors".into(),
                from,
                to,
            ]);
            secret_keys(&mut env);
        }
        StoreScheme::Gs => {
            container.command = Some(strings(["gcloud"]));
            container.args = Some(vec!["storage".into(), "cp".into(), from, to]);
            env.push(var("CLOUDSDK_CONFIG", "/tmp/gcloud"));
            if let Some(secret) = secret {
                volumes.push(Volume {
                    name: GCP_KEY_VOLUME.into(),
                    secret: Some(SecretVolumeSource {
                        secret_name: Some(secret.into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                });
                container
                    .volume_mounts
                    .get_or_insert_default()
                    .push(VolumeMount {
                        name: GCP_KEY_VOLUME.into(),
                        mount_path: GCP_KEY_DIR.into(),
                        read_only: Some(true),
                        ..Default::default()
                    });
                env.push(var(
                    "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE",
                    format!("{GCP_KEY_DIR}/key.json"),
                ));
            }
        }
        StoreScheme::Azure => {
            env.push(var("AZURE_CONFIG_DIR", "/tmp/.azure"));
            let verb = if upload { "upload" } else { "download" };
            let overwrite = if upload { " --overwrite" } else { "" };
            if identity {
                // The webhook sets AZURE_CLIENT_ID, AZURE_TENANT_ID and the token file.
                let transfer = format!(
                    "az storage blob {verb} --account-name \"$1\" --container-name \"$2\" \
                     --name \"$3\" --file \"$4\"{overwrite} --no-progress --output none"
                );
                container.command = Some(strings(["sh", "-c"]));
                container.args = Some(vec![
                    format!(
                        "az login --service-principal --username \"$AZURE_CLIENT_ID\" \
                         --tenant \"$AZURE_TENANT_ID\" \
                         --federated-token \"$(cat \"$AZURE_FEDERATED_TOKEN_FILE\")\" \
                         --allow-no-subscriptions --output none && {transfer} --auth-mode login"
                    ),
                    name.into(),
                    uri.root.into(),
                    uri.middle.into(),
                    uri.path.into(),
                    local.clone(),
                ]);
            } else {
                // The account key comes from AZURE_STORAGE_KEY.
                container.command = Some(strings(["az"]));
                let mut args = vec![
                    "storage".into(),
                    "blob".into(),
                    verb.into(),
                    "--account-name".into(),
                    uri.root.into(),
                    "--container-name".into(),
                    uri.middle.into(),
                    "--name".into(),
                    uri.path.into(),
                    "--file".into(),
                    local.clone(),
                ];
                if upload {
                    args.push("--overwrite".into());
                }
                args.extend(strings(["--no-progress", "--output", "none"]));
                container.args = Some(args);
                secret_keys(&mut env);
            }
        }
        // Read-only stores: `upload` never gets here.
        StoreScheme::Hf => {
            container.command = Some(strings(["curl"]));
            let url = format!(
                "https://huggingface.co/{}/resolve/{}/{}",
                uri.root, uri.middle, uri.path
            );
            container.args = Some(curl(url, secret.is_some()));
            secret_keys(&mut env);
        }
        StoreScheme::Https => {
            container.command = Some(strings(["curl"]));
            container.args = Some(curl(uri_text.to_string(), false));
        }
    }
    container.env = Some(env);
    container.resources = Some(pod::resources(
        spec,
        &Resources {
            requests: ResourceList::cpu_memory("100m", "128Mi"),
            limits: ResourceList::cpu_memory("1", "512Mi"),
        },
        0,
    ));
    Some((container, volumes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::minimal;
    use crate::sections::model::AwsIdentity;
    use crate::sections::model::AzureIdentity;
    use crate::sections::model::GcpIdentity;

    fn store(uri: &str, secret: Option<&str>, identity: Option<WorkloadIdentity>) -> AppSpec {
        let mut spec = minimal();
        let mut source = ObjectStoreSource::new(uri);
        source.credentials_secret = secret.map(String::from);
        source.identity = identity;
        spec.spec.model.source = ModelSource::ObjectStore(source);
        spec
    }

    fn fetched(spec: &AppSpec) -> (Container, Vec<Volume>) {
        let ModelSource::ObjectStore(source) = &spec.spec.model.source else {
            unreachable!()
        };
        fetch(
            spec,
            source,
            "1",
            "/models/model.onnx".into(),
            "model",
            "/models",
        )
        .unwrap()
    }

    fn env<'a>(container: &'a Container, name: &str) -> Option<&'a EnvVar> {
        container
            .env
            .as_ref()
            .unwrap()
            .iter()
            .find(|e| e.name == name)
    }

    #[test]
    fn each_scheme_has_its_tool() {
        for (uri, image, command) in [
            ("s3://b/m.onnx", AWS_CLI_IMAGE, "aws"),
            ("gs://b/m.onnx", GCLOUD_IMAGE, "gcloud"),
            ("azure://acct/models/m.onnx", AZURE_CLI_IMAGE, "az"),
            ("hf://org/repo@v1/m.onnx", CURL_IMAGE, "curl"),
            ("https://h/m.onnx", CURL_IMAGE, "curl"),
        ] {
            let (container, _) = fetched(&store(uri, None, None));
            assert_eq!(container.image.as_deref(), Some(image), "{uri}");
            assert_eq!(container.command.as_ref().unwrap()[0], command, "{uri}");
            let security = container.security_context.as_ref().unwrap();
            assert_eq!(security.read_only_root_filesystem, Some(true));
        }
        let (hf, _) = fetched(&store("hf://org/repo@v1/m.onnx", Some("hf"), None));
        let args = hf.args.unwrap();
        assert!(args.contains(&"https://huggingface.co/org/repo/resolve/v1/m.onnx".to_string()));
        assert!(args.contains(&"$(HF_TOKEN)".to_string()));
    }

    #[test]
    fn fetch_downloads_the_version_and_upload_writes_it() {
        let spec = store("azure://acct/c/{version}/m.onnx", Some("az"), None);
        let ModelSource::ObjectStore(source) = &spec.spec.model.source else {
            unreachable!()
        };
        let (fetch, _) = fetch(
            &spec,
            source,
            "7",
            "/models/7/m.onnx".into(),
            "model",
            "/models",
        )
        .unwrap();
        assert_eq!(
            env(&fetch, ENV_MODEL_URI).unwrap().value.as_deref(),
            Some("azure://acct/c/7/m.onnx")
        );
        assert!(fetch.args.unwrap().contains(&"7/m.onnx".to_string()));
        let (up, _) = upload(
            &spec,
            source,
            "upload-model",
            "/output/7/m.onnx".into(),
            "azure://acct/c/7/m.onnx",
        )
        .unwrap();
        let args = up.args.unwrap();
        assert_eq!(args[2], "upload");
        assert!(args.contains(&"--overwrite".to_string()));
        assert!(args.contains(&"/output/7/m.onnx".to_string()));
        // Read-only stores are never uploaded to.
        let hf = store("hf://org/repo/m.onnx", None, None);
        let ModelSource::ObjectStore(source) = &hf.spec.model.source else {
            unreachable!()
        };
        assert!(!can_upload(source));
        assert!(
            upload(
                &hf,
                source,
                "upload-model",
                "/o".into(),
                "hf://org/repo/m.onnx"
            )
            .is_none()
        );
    }

    #[test]
    fn secrets_are_read_by_key_and_a_gcp_key_is_mounted() {
        let (gs, volumes) = fetched(&store("gs://b/m.onnx", Some("gcp-key"), None));
        assert_eq!(
            volumes[0].secret.as_ref().unwrap().secret_name.as_deref(),
            Some("gcp-key")
        );
        assert_eq!(
            env(&gs, "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE")
                .unwrap()
                .value
                .as_deref(),
            Some("/var/run/secrets/slipway/gcp/key.json")
        );
        let (azure, _) = fetched(&store("azure://acct/c/m.onnx", Some("az"), None));
        let key = env(&azure, "AZURE_STORAGE_KEY").unwrap();
        assert_eq!(
            key.value_from
                .as_ref()
                .unwrap()
                .secret_key_ref
                .as_ref()
                .unwrap()
                .name,
            "az"
        );
    }

    #[test]
    fn workload_identity_annotates_the_service_account() {
        let aws = store(
            "s3://b/m.onnx",
            None,
            Some(WorkloadIdentity::Aws(AwsIdentity {
                role_arn: "arn:aws:iam::1:role/r".into(),
            })),
        );
        assert_eq!(
            service_account_annotations(&aws)["eks.amazonaws.com/role-arn"],
            "arn:aws:iam::1:role/r"
        );
        assert!(pod_labels(&aws).is_empty());
        let gcp = store(
            "gs://b/m.onnx",
            None,
            Some(WorkloadIdentity::Gcp(GcpIdentity {
                service_account: "m@p.iam.gserviceaccount.com".into(),
            })),
        );
        assert!(service_account_annotations(&gcp).contains_key("iam.gke.io/gcp-service-account"));
        let azure = store(
            "azure://acct/c/m.onnx",
            None,
            Some(WorkloadIdentity::Azure(AzureIdentity {
                client_id: "00000000-0000-0000-0000-000000000001".into(),
                tenant_id: None,
            })),
        );
        assert_eq!(pod_labels(&azure)[AZURE_USE_LABEL], "true");
        let (container, _) = fetched(&azure);
        assert_eq!(container.command.unwrap(), ["sh", "-c"]);
        let args = container.args.unwrap();
        assert!(args[0].contains("--federated-token") && args[0].contains("--auth-mode login"));
        // The URI's parts are positional parameters, never spliced into the script.
        assert_eq!(args[2..5], ["acct", "c", "m.onnx"]);
        // The whole bundle: the ServiceAccount carries the annotation, the pods the label.
        let bundle = crate::compile::compile(&azure);
        let account = bundle.find("ServiceAccount", "demo").unwrap();
        assert!(
            account
                .metadata()
                .annotations
                .as_ref()
                .unwrap()
                .contains_key("azure.workload.identity/client-id")
        );
        let Some(crate::bundle::Object::Deployment(deployment)) = bundle.find("Deployment", "demo")
        else {
            panic!("no Deployment")
        };
        let template = &deployment.spec.as_ref().unwrap().template;
        assert_eq!(
            template.metadata.as_ref().unwrap().labels.as_ref().unwrap()[AZURE_USE_LABEL],
            "true"
        );
    }
}
