//! The pinned images of the tools Slipway's own containers run (object-store clients,
//! curl): never `latest`, upgraded with a release.

/// The pinned aws-cli image used by backups and s3 model fetches.
pub const AWS_CLI_IMAGE: &str = "amazon/aws-cli:2.17.50";

/// The pinned curl image used for https model fetches.
pub const CURL_IMAGE: &str = "curlimages/curl:8.10.1";

/// The pinned Google Cloud CLI image used for `gs://` model fetches.
pub const GCLOUD_IMAGE: &str = "gcr.io/google.com/cloudsdktool/google-cloud-cli:499.0.0-slim";

/// The pinned Azure CLI image used for `azure://` model fetches.
pub const AZURE_CLI_IMAGE: &str = "mcr.microsoft.com/azure-cli:2.67.0";

/// The pinned busybox image of the step that renames the trained model into place.
pub const BUSYBOX_IMAGE: &str = "busybox:1.37.0";
