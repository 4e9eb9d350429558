//! Backup: the scheduled copy of the model store to object storage, and its restore.

pub mod compile;
pub mod rules;

/// The `backup` section: its compile step, rules and codes.
pub const SECTION: crate::sections::Section = crate::sections::Section {
    name: "backup",
    compile: |i, b| b.objects.extend(compile::compile(i.spec, i.scope)),
    rules: &[rules::check_backup],
    codes: &[rules::CODES],
};

use crate::k8s::cron::Schedule;
use crate::sections::parsed;
use crate::sections::shared::images::AWS_CLI_IMAGE;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A CronJob copying the model store to a dated copy in object storage
/// (`<destination>/<yyyy-mm-dd>/`), and a suspended CronJob restoring one (a Job template).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupSpec {
    /// Cron schedule. Default: `0 2 * * *` (daily at 02:00).
    #[serde(default = "default_backup_schedule")]
    pub schedule: Schedule,
    /// Destination, `s3://bucket/prefix/`; each run writes `<destination>/<yyyy-mm-dd>/`.
    pub destination: String,
    /// Secret with `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (never inline).
    pub credentials_secret: String,
    /// AWS region. Default: `us-east-1`.
    #[serde(default = "default_region")]
    pub region: String,
    /// Pinned aws-cli image. Default: `amazon/aws-cli:2.17.50`.
    #[serde(default = "default_aws_image")]
    pub image: String,
    /// Successful and failed runs kept. Default: 3.
    #[serde(default = "default_history")]
    pub history_limit: i32,
    /// Retries of one run before it is marked failed. Default: 2.
    #[serde(default = "default_backup_backoff")]
    pub backoff_limit: i32,
    /// Hard deadline of one run, in seconds. Default: 3600 (one hour).
    #[serde(default = "default_backup_deadline")]
    pub active_deadline_seconds: i64,
    /// After a successful run, delete the dated copies older than this many days (today's
    /// copy, just written, always stays). Default: none, copies stay until a bucket lifecycle
    /// rule expires them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_days: Option<std::num::NonZeroU32>,
}

fn default_backup_backoff() -> i32 {
    2
}
fn default_backup_deadline() -> i64 {
    3600
}

fn default_backup_schedule() -> Schedule {
    parsed("0 2 * * *")
}
fn default_region() -> String {
    "us-east-1".into()
}
fn default_aws_image() -> String {
    AWS_CLI_IMAGE.into()
}
fn default_history() -> i32 {
    3
}
