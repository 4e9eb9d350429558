//! Log retention: Fluentd writes one Elasticsearch index per day (`<prefix>-YYYY.MM.DD`,
//! `logstash_format`) and nothing ever deletes them, so a month later the cluster's disks
//! hold every line the application ever logged. With `logging.elasticsearch.retentionDays`,
//! a daily CronJob beside Fluentd (its namespace, its credentials) deletes this application's
//! indices older than that.
//!
//! The script lists `<prefix>-*` and deletes only names that are exactly the prefix, a dash
//! and a `YYYY.MM.DD` date before the cut-off: another application's `<prefix>-other-…`
//! indices never match. Dates are UTC, as Fluentd names its indices (`utc_index` is on by
//! default), and the schedule runs in `Etc/UTC`.

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{EnvVar, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::sections::shared::labels;

use crate::bundle::Object;
use crate::sections::AppSpec;
use crate::sections::ResourceList;
use crate::sections::Resources;
use crate::sections::logging::EsScheme;
use crate::sections::shared::images::CURL_IMAGE;
use crate::sections::shared::labels::Component;
use crate::sections::shared::pod;

/// The retention script: `ES_URL`, `INDEX_PREFIX`, `RETENTION_DAYS` and, when the
/// Elasticsearch output has credentials, `ES_USERNAME`/`ES_PASSWORD` come from the
/// environment. BusyBox `sh`/`date` (the curl image) and GNU both run it.
pub const RETENTION_SCRIPT: &str = r#"set -eu
now=$(date -u +%s)
cutoff=$(date -u -d "@$((now - RETENTION_DAYS * 86400))" +%Y%m%d)
es() {
  if [ -n "${ES_USERNAME:-}" ]; then
    curl --fail --silent --show-error --user "$ES_USERNAME:$ES_PASSWORD" "$@"
  else
    curl --fail --silent --show-error "$@"
  fi
}
deleted=0
for index in $(es "$ES_URL/_cat/indices/$INDEX_PREFIX-*?h=index"); do
  day=${index#"$INDEX_PREFIX-"}
  case "$day" in
    [0-9][0-9][0-9][0-9].[0-9][0-9].[0-9][0-9]) ;;
    *) continue ;;
  esac
  if [ "$(echo "$day" | tr -d .)" -lt "$cutoff" ]; then
    es --request DELETE "$ES_URL/$index" >/dev/null
    echo "deleted $index"
    deleted=$((deleted + 1))
  fi
done
echo "deleted $deleted index(es) of $INDEX_PREFIX older than $RETENTION_DAYS days"
"#;

/// `<app>-log-retention`: the CronJob and its ServiceAccount.
pub fn name(spec: &AppSpec) -> String {
    labels::name(spec, "log-retention")
}

/// The retention CronJob and its ServiceAccount in Fluentd's namespace; nothing without
/// logging or without `retentionDays`.
pub fn objects(spec: &AppSpec) -> Vec<Object> {
    let Some(logging) = spec.spec.logging.as_ref().filter(|l| l.enabled) else {
        return Vec::new();
    };
    let es = &logging.elasticsearch;
    let Some(days) = es.retention_days else {
        return Vec::new();
    };
    let name = name(spec);
    let meta = ObjectMeta {
        namespace: Some(crate::sections::logging::namespace(spec)),
        ..labels::cluster_meta(spec, name.clone(), Component::LogRetention)
    };
    let pod_labels = labels::labels(spec, Component::LogRetention, None, None);
    let scheme = match es.scheme {
        EsScheme::Http => "http",
        EsScheme::Https => "https",
    };
    let mut env = vec![
        var("ES_URL", format!("{scheme}://{}:{}", es.host, es.port)),
        var("INDEX_PREFIX", crate::sections::logging::index_prefix(spec)),
        var("RETENTION_DAYS", days.to_string()),
    ];
    if let Some(secret) = &es.credentials_secret {
        env.push(pod::secret_env("ES_USERNAME", secret, "username"));
        env.push(pod::secret_env("ES_PASSWORD", secret, "password"));
    }
    let mut container = pod::base_container(spec, "log-retention", CURL_IMAGE);
    container.command = Some(vec!["sh".into(), "-c".into()]);
    container.args = Some(vec![RETENTION_SCRIPT.into()]);
    container.env = Some(env);
    container.resources = Some(pod::resources(
        spec,
        &Resources {
            requests: ResourceList::cpu_memory("10m", "32Mi"),
            limits: ResourceList::cpu_memory("100m", "64Mi"),
        },
        0,
    ));
    let mut pod_spec = pod::base_pod(spec, name.clone(), false);
    pod_spec.restart_policy = Some("Never".into());
    pod_spec.containers = vec![container];
    let mut account = pod::service_account(spec, name.clone(), Component::LogRetention);
    account.metadata_mut().namespace = Some(crate::sections::logging::namespace(spec));
    vec![
        account,
        CronJob {
            metadata: meta,
            spec: Some(CronJobSpec {
                schedule: "30 0 * * *".into(),
                time_zone: Some("Etc/UTC".into()),
                concurrency_policy: Some("Forbid".into()),
                successful_jobs_history_limit: Some(1),
                failed_jobs_history_limit: Some(3),
                job_template: JobTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(pod_labels.clone()),
                        ..Default::default()
                    }),
                    spec: Some(JobSpec {
                        backoff_limit: Some(2),
                        active_deadline_seconds: Some(600),
                        template: PodTemplateSpec {
                            metadata: Some(ObjectMeta {
                                labels: Some(pod_labels),
                                ..Default::default()
                            }),
                            spec: Some(pod_spec),
                        },
                        ..Default::default()
                    }),
                },
                ..Default::default()
            }),
            ..Default::default()
        }
        .into(),
    ]
}

fn var(name: &str, value: String) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;
    use crate::compile::testing::pod;
    use crate::compile::testing::seed;

    fn retention(days: Option<u32>) -> AppSpec {
        let mut spec = seed();
        spec.spec
            .logging
            .as_mut()
            .unwrap()
            .elasticsearch
            .retention_days = days.and_then(std::num::NonZeroU32::new);
        spec
    }

    fn cron(objects: &[Object]) -> &CronJob {
        crate::bundle::typed(objects).next().expect("a CronJob")
    }

    #[test]
    fn only_with_retention_days() {
        assert!(objects(&retention(None)).is_empty());
        let objects = objects(&retention(Some(14)));
        let cron = cron(&objects);
        assert_eq!(
            cron.metadata.name.as_deref(),
            Some("ai-inference-log-retention")
        );
        assert_eq!(
            cron.metadata.namespace.as_deref(),
            Some("ai-inference-logging")
        );
        let env = pod(cron).containers[0].env.clone().unwrap();
        let value = |name: &str| {
            env.iter()
                .find(|e| e.name == name)
                .and_then(|e| e.value.clone())
        };
        assert_eq!(
            value("ES_URL").as_deref(),
            Some("http://elasticsearch-service:9200")
        );
        assert_eq!(value("INDEX_PREFIX").as_deref(), Some("ai-inference"));
        assert_eq!(value("RETENTION_DAYS").as_deref(), Some("14"));
    }

    /// Fluentd's DaemonSet selects its own pods only: the retention pods carry another
    /// component.
    #[test]
    fn the_daemon_set_does_not_select_the_retention_pods() {
        let bundle = crate::compile::compile(&retention(Some(7)));
        let fluentd = bundle
            .of_kind("DaemonSet")
            .find_map(|o| o.workload())
            .unwrap();
        let selector = fluentd.selector_labels().unwrap();
        let cron = bundle
            .find("CronJob", "ai-inference-log-retention")
            .unwrap();
        let labels = cron.workload().unwrap().pod_template().unwrap();
        let labels = labels.metadata.as_ref().unwrap().labels.as_ref().unwrap();
        assert!(!selector.iter().all(|(k, v)| labels.get(k) == Some(v)));
    }

    /// Runs the script with `curl` replaced by a shell function over a fixed index list, and
    /// GNU `date` pinned to 2026-11-30.
    fn run_script(days: u32, indices: &[&str]) -> Vec<String> {
        let fake = format!(
            r#"date() {{ if [ "$1" = -u ] && [ "$2" = +%s ]; then echo 1795996800; else command date "$@"; fi; }}
curl() {{
  for arg; do last=$arg; done
  case "$*" in
    *DELETE*) echo "DELETE $last" >&3 ;;
    *) printf '%s\n' {} ;;
  esac
}}
"#,
            indices.join(" ")
        );
        let output = Command::new("sh")
            .arg("-c")
            .arg(format!("exec 3>&1 1>/dev/null\n{fake}{RETENTION_SCRIPT}"))
            .env("ES_URL", "http://es:9200")
            .env("INDEX_PREFIX", "ai")
            .env("RETENTION_DAYS", days.to_string())
            .output()
            .expect("sh runs");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    }

    #[test]
    fn the_script_deletes_exactly_this_prefixs_indices_older_than_the_cutoff() {
        let deleted = run_script(
            7,
            &[
                "ai-2026.11.22",
                "ai-2026.11.23",
                "ai-2026.11.30",
                "ai-2025.12.31",
                "ai-other-2020.01.01",
                "ai-2020.01.01-restored",
                "ai-notadate",
            ],
        );
        assert_eq!(
            deleted,
            [
                "DELETE http://es:9200/ai-2026.11.22",
                "DELETE http://es:9200/ai-2025.12.31",
            ]
        );
        assert!(run_script(7, &[]).is_empty());
    }
}
