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

use super::pod;
use crate::spec::{
    AWS_CLI_IMAGE, AZURE_CLI_IMAGE, AppSpec, CURL_IMAGE, GCLOUD_IMAGE, ModelSource,
    ObjectStoreSource, ResourceList, Resources, StoreScheme, StoreUri, WorkloadIdentity,
};

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

/// The init container that downloads the model into `model_volume` (mounted at `model_dir`),
/// and the extra pod volumes it needs. `None` for a URI validation rejects.
pub fn fetch(
    spec: &AppSpec,
    store: &ObjectStoreSource,
    model_volume: &str,
    model_dir: &str,
) -> Option<(Container, Vec<Volume>)> {
    let uri = StoreUri::parse(&store.uri)?;
    let target = spec.spec.model.path.clone();
    let secret = store.credentials_secret.as_deref();
    let identity = store.identity.is_some();
    let default_image = match uri.scheme {
        StoreScheme::S3 => AWS_CLI_IMAGE,
        StoreScheme::Gs => GCLOUD_IMAGE,
        StoreScheme::Azure => AZURE_CLI_IMAGE,
        StoreScheme::Hf | StoreScheme::Https => CURL_IMAGE,
    };
    let image = store.image.as_deref().unwrap_or(default_image);
    let mut container = pod::base_container(spec, FETCH_CONTAINER, image);
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
        args.extend(["--output".to_string(), target.clone(), url]);
        args
    };
    match uri.scheme {
        StoreScheme::S3 => {
            container.command = Some(strings(["aws"]));
            container.args = Some(vec![
                "s3".into(),
                "cp".into(),
                "--only-show-errors".into(),
                store.uri.clone(),
                target.clone(),
            ]);
            secret_keys(&mut env);
        }
        StoreScheme::Gs => {
            container.command = Some(strings(["gcloud"]));
            container.args = Some(vec![
                "storage".into(),
                "cp".into(),
                store.uri.clone(),
                target.clone(),
            ]);
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
            let download = "az storage blob download --account-name \"$1\" --container-name \"$2\" \
                            --name \"$3\" --file \"$4\" --no-progress --output none";
            if identity {
                // The webhook sets AZURE_CLIENT_ID, AZURE_TENANT_ID and the token file.
                container.command = Some(strings(["sh", "-c"]));
                container.args = Some(vec![
                    format!(
                        "az login --service-principal --username \"$AZURE_CLIENT_ID\" \
                         --tenant \"$AZURE_TENANT_ID\" \
                         --federated-token \"$(cat \"$AZURE_FEDERATED_TOKEN_FILE\")\" \
                         --allow-no-subscriptions --output none && {download} --auth-mode login"
                    ),
                    FETCH_CONTAINER.into(),
                    uri.root.into(),
                    uri.middle.into(),
                    uri.path.into(),
                    target.clone(),
                ]);
            } else {
                // The account key comes from AZURE_STORAGE_KEY.
                container.command = Some(strings(["az"]));
                container.args = Some(vec![
                    "storage".into(),
                    "blob".into(),
                    "download".into(),
                    "--account-name".into(),
                    uri.root.into(),
                    "--container-name".into(),
                    uri.middle.into(),
                    "--name".into(),
                    uri.path.into(),
                    "--file".into(),
                    target.clone(),
                    "--no-progress".into(),
                    "--output".into(),
                    "none".into(),
                ]);
                secret_keys(&mut env);
            }
        }
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
            container.args = Some(curl(store.uri.clone(), false));
        }
    }
    container.env = Some(env);
    container.resources = Some(pod::resources(
        spec,
        &Resources {
            requests: ResourceList {
                cpu: Some("100m".into()),
                memory: Some("128Mi".into()),
                ephemeral_storage: None,
            },
            limits: ResourceList {
                cpu: Some("1".into()),
                memory: Some("512Mi".into()),
                ephemeral_storage: None,
            },
        },
        0,
    ));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::minimal;
    use crate::spec::{AwsIdentity, AzureIdentity, GcpIdentity};

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
        fetch(spec, source, "model", "/models").unwrap()
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
        let Some(crate::compile::Object::Deployment(deployment)) =
            bundle.find("Deployment", "demo")
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
