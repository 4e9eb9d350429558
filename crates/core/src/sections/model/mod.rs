//! The model and its stores: where the server finds it (a claim or an object store), its format and versions, and who writes it.

pub mod compile;
pub mod rules;
pub mod store;

/// The `model` section: its compile step, rules and codes.
pub const SECTION: crate::sections::Section = crate::sections::Section {
    name: "model",
    compile: |i, b| b.objects.extend(compile::volume_claims(i.spec)),
    rules: &[rules::check_model, rules::check_store_identity],
    codes: &[rules::CODES],
};

use crate::k8s::quantity::Quantity;
use crate::sections::VolumeClaim;
use crate::sections::parsed;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The served model: its format, where it is stored, and where the server finds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelSpec {
    /// Model name in the inference API (`/v2/models/{name}`). Default: the application name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Serialisation format. Default: `onnx` (the only one `slipway-serve` loads).
    #[serde(default)]
    pub format: ModelFormat,
    /// Path of the model file inside the inference container; `{version}` stands for the
    /// model version, so each version has its own file and each blue/green color can serve
    /// its own. The model volume is mounted at the directory above the first `{version}`
    /// (else above the file). Default: `/models/{version}/model.onnx`.
    #[serde(default = "default_model_path")]
    pub path: String,
    /// The model version: what a one-off training Job writes (at `path` with `{version}`
    /// replaced, below its output mount; a scheduled training writes a new version per run,
    /// named after its Job) and what the server serves unless a blue/green color names
    /// another; passed to the server as `MODEL_VERSION`. Default: `1`.
    #[serde(default = "default_model_version")]
    pub version: String,
    /// Versions already in the model store, written outside this bundle (an earlier training
    /// run, a copy by hand, a restore, a pre-populated claim or bucket). Serving any other
    /// version needs the training Job of this spec to write it. On a claim Slipway creates
    /// (empty), only when something in the bundle writes that claim. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub existing_versions: Vec<String>,
    /// Where the model is stored.
    pub source: ModelSource,
}

/// What `{version}` in `model.path` and `model.source.objectStore.uri` stands for.
pub const VERSION_PLACEHOLDER: &str = "{version}";

fn default_model_path() -> String {
    "/models/{version}/model.onnx".into()
}
fn default_model_version() -> String {
    "1".into()
}

impl ModelSpec {
    /// `path` (or any text) with `{version}` replaced by `version`.
    pub fn versioned(text: &str, version: &str) -> String {
        text.replace(VERSION_PLACEHOLDER, version)
    }

    /// The directory the model volume is mounted at, and the path of the file below it
    /// (still holding `{version}`): `/models/{version}/model.onnx` → (`/models`,
    /// `{version}/model.onnx`).
    pub fn store_layout(&self) -> (&str, &str) {
        let path = self.path.as_str();
        let head = match path.find(VERSION_PLACEHOLDER) {
            Some(at) => &path[..at],
            None => path,
        };
        match head.rfind('/') {
            Some(0) => ("/", &path[1..]),
            Some(slash) => (&path[..slash], &path[slash + 1..]),
            None => ("/", path),
        }
    }

    /// Whether each version has its own file (`path` holds `{version}`).
    pub fn is_versioned(&self) -> bool {
        self.path.contains(VERSION_PLACEHOLDER)
    }
}

/// Serialisation format of the model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ModelFormat {
    /// ONNX, served by `slipway-serve` on tract.
    #[default]
    Onnx,
}

/// Where the model lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum ModelSource {
    /// A PersistentVolumeClaim mounted read-only at the directory of `model.path`.
    Pvc(VolumeClaim),
    /// An object-store URI (`s3://…`, `gs://…`, `azure://…`, `hf://…`, `https://…`) fetched
    /// into an emptyDir by an init container.
    ObjectStore(ObjectStoreSource),
}

/// A model fetched from object storage at pod start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectStoreSource {
    /// The model file: `s3://bucket/key`, `gs://bucket/object`,
    /// `azure://account/container/blob`, `hf://org/repo[@revision]/path` or `https://host/path`;
    /// `{version}` stands for the model version (e.g. `s3://models/fraud/{version}/model.onnx`).
    pub uri: String,
    /// Secret the fetch step reads: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (s3),
    /// `key.json` (a service-account key, gs), `AZURE_STORAGE_KEY` (azure), `HF_TOKEN` (hf).
    /// Default: none (workload identity, or a public model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret: Option<String>,
    /// Workload identity of the inference pods (an annotated ServiceAccount) instead of a
    /// Secret. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<WorkloadIdentity>,
    /// Image of the fetching init container. Default: pinned `amazon/aws-cli` (s3), Google
    /// Cloud CLI (gs), Azure CLI (azure), `curlimages/curl` (hf, https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Size limit of the emptyDir holding the model. Default: `2Gi`.
    #[serde(default = "default_model_cache")]
    pub size_limit: Quantity,
}

fn default_model_cache() -> Quantity {
    parsed("2Gi")
}

/// The object store a model URI names, by scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreScheme {
    /// `s3://bucket/key` (Amazon S3 and compatibles).
    S3,
    /// `gs://bucket/object` (Google Cloud Storage).
    Gs,
    /// `azure://account/container/blob` (Azure Blob Storage).
    Azure,
    /// `hf://org/repo[@revision]/path` (a file of a Hugging Face Hub model repository).
    Hf,
    /// `https://host/path`.
    Https,
}

/// A model URI split into its parts; see [`StoreUri::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreUri<'a> {
    /// The store.
    pub scheme: StoreScheme,
    /// Bucket (s3, gs), storage account (azure), `org/repo` (hf), host (https).
    pub root: &'a str,
    /// Container (azure), revision (hf, default `main`); empty otherwise.
    pub middle: &'a str,
    /// Key, object, blob or file path inside the root (and container).
    pub path: &'a str,
}

impl<'a> StoreUri<'a> {
    /// Parses `s3://bucket/key`, `gs://bucket/object`, `azure://account/container/blob`,
    /// `hf://org/repo[@revision]/path` or `https://host/path`; `None` when the URI has another
    /// scheme or an empty part.
    ///
    /// ```
    /// use slipway_core::spec::{StoreScheme, StoreUri};
    ///
    /// let uri = StoreUri::parse("hf://acme/sentiment@v1.2/onnx/model.onnx").unwrap();
    /// assert_eq!((uri.scheme, uri.root, uri.middle, uri.path),
    ///            (StoreScheme::Hf, "acme/sentiment", "v1.2", "onnx/model.onnx"));
    /// assert!(StoreUri::parse("azure://account/only-container").is_none());
    /// ```
    pub fn parse(uri: &'a str) -> Option<Self> {
        let (scheme, rest) = uri.split_once("://")?;
        let nonempty = |s: &str| !s.is_empty();
        let parsed = match scheme {
            "s3" | "gs" | "https" => {
                let (root, path) = rest.split_once('/')?;
                Self {
                    scheme: match scheme {
                        "s3" => StoreScheme::S3,
                        "gs" => StoreScheme::Gs,
                        _ => StoreScheme::Https,
                    },
                    root,
                    middle: "",
                    path,
                }
            }
            "azure" => {
                let (root, rest) = rest.split_once('/')?;
                let (middle, path) = rest.split_once('/')?;
                if !nonempty(middle) {
                    return None;
                }
                Self {
                    scheme: StoreScheme::Azure,
                    root,
                    middle,
                    path,
                }
            }
            "hf" => {
                let (org, rest) = rest.split_once('/')?;
                let (repo, path) = rest.split_once('/')?;
                let (repo, revision) = repo.split_once('@').unwrap_or((repo, "main"));
                if !nonempty(org) || !nonempty(repo) || !nonempty(revision) {
                    return None;
                }
                Self {
                    scheme: StoreScheme::Hf,
                    root: &uri[5..5 + org.len() + 1 + repo.len()],
                    middle: revision,
                    path,
                }
            }
            _ => return None,
        };
        (nonempty(parsed.root) && nonempty(parsed.path)).then_some(parsed)
    }
}

impl StoreScheme {
    /// The URI scheme.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::S3 => "s3",
            Self::Gs => "gs",
            Self::Azure => "azure",
            Self::Hf => "hf",
            Self::Https => "https",
        }
    }

    /// The keys the fetch step reads from `credentialsSecret`; empty when the scheme takes
    /// no credentials.
    pub fn secret_keys(self) -> &'static [&'static str] {
        match self {
            Self::S3 => &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
            Self::Gs => &["key.json"],
            Self::Azure => &["AZURE_STORAGE_KEY"],
            Self::Hf => &["HF_TOKEN"],
            Self::Https => &[],
        }
    }

    /// The workload identity that can read this store, if any.
    pub fn identity_provider(self) -> Option<&'static str> {
        match self {
            Self::S3 => Some("aws"),
            Self::Gs => Some("gcp"),
            Self::Azure => Some("azure"),
            Self::Hf | Self::Https => None,
        }
    }
}

/// Credentials by workload identity: the inference ServiceAccount (`<name>`) is annotated so
/// the cloud's identity webhook or metadata server hands the pods short-lived credentials of a
/// cloud identity (no Secret holds a key). When training uploads the model to the same store,
/// the training ServiceAccount (`<name>-training`) is annotated too: the cloud identity must
/// trust both subjects (`system:serviceaccount:<namespace>:<name>` and
/// `…:<name>-training`), and needs write access for the upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum WorkloadIdentity {
    /// EKS IAM Roles for Service Accounts (`eks.amazonaws.com/role-arn`), for `s3://`.
    Aws(AwsIdentity),
    /// GKE Workload Identity (`iam.gke.io/gcp-service-account`), for `gs://`.
    Gcp(GcpIdentity),
    /// Azure Workload Identity (`azure.workload.identity/client-id` and the pod label
    /// `azure.workload.identity/use: "true"`), for `azure://`.
    Azure(AzureIdentity),
}

impl WorkloadIdentity {
    /// `aws`, `gcp` or `azure`.
    pub fn provider(&self) -> &'static str {
        match self {
            Self::Aws(_) => "aws",
            Self::Gcp(_) => "gcp",
            Self::Azure(_) => "azure",
        }
    }
}

/// An IAM role assumed through IRSA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AwsIdentity {
    /// `arn:aws:iam::<account>:role/<name>`.
    pub role_arn: String,
}

/// A Google service account impersonated through GKE Workload Identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GcpIdentity {
    /// `<name>@<project>.iam.gserviceaccount.com`.
    pub service_account: String,
}

/// A Microsoft Entra application federated with the ServiceAccount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzureIdentity {
    /// Client id (a UUID) of the managed identity or application.
    pub client_id: String,
    /// Tenant id. Default: the one the webhook is configured with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_uris_split_into_their_parts() {
        let parts = |uri| {
            let u = StoreUri::parse(uri).unwrap();
            (u.scheme, u.root, u.middle, u.path)
        };
        assert_eq!(
            parts("s3://b/k/m.onnx"),
            (StoreScheme::S3, "b", "", "k/m.onnx")
        );
        assert_eq!(parts("gs://b/m.onnx"), (StoreScheme::Gs, "b", "", "m.onnx"));
        assert_eq!(
            parts("azure://acct/models/v1/m.onnx"),
            (StoreScheme::Azure, "acct", "models", "v1/m.onnx")
        );
        assert_eq!(
            parts("hf://org/repo/m.onnx"),
            (StoreScheme::Hf, "org/repo", "main", "m.onnx")
        );
        for bad in [
            "ftp://h/m.onnx",
            "s3://bucket",
            "s3:///key",
            "gs://b/",
            "azure://acct//m.onnx",
            "hf://org/m.onnx",
            "hf://org/repo@/m.onnx",
        ] {
            assert!(StoreUri::parse(bad).is_none(), "{bad}");
        }
    }
}
