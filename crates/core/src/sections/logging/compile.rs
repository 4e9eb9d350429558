//! Fluentd shipping the application's container logs to Elasticsearch: `fluent.conf` from the
//! typed model in [`crate::sections::logging::fluentd`], and the DaemonSet, ServiceAccount, ClusterRole,
//! ClusterRoleBinding and ConfigMap that run it.
//!
//! Namespace: Fluentd reads the node's log files through `hostPath` volumes, which Pod
//! Security "baseline" and "restricted" both forbid, and the application's namespace enforces
//! "restricted". So Fluentd runs in a namespace of its own (`logging.namespace`, default
//! `<app>-logging`) labelled `enforce: privileged`, and nothing else runs there. Its pods are
//! still as tight as Fluentd allows: every capability dropped, no privilege escalation,
//! read-only root filesystem, seccomp `RuntimeDefault`, host log directories mounted
//! read-only. It runs as uid 0 because container log files are `root:root 0640`; without
//! capabilities that root can read them (it owns them) but cannot override other files'
//! permissions.
//!
//! Positions and buffers: `pos_file` and the file buffer must survive a Fluentd restart, or
//! logs are shipped twice (`read_from_head`) or lost (unflushed chunks). An emptyDir dies with
//! the pod, and `/var/log` is mounted read-only, so they live in a per-application hostPath
//! directory, `/var/lib/slipway-fluentd/<namespace>_<app>`, the only writable host path.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetSpec, DaemonSetUpdateStrategy, RollingUpdateDaemonSet,
};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, ConfigMapVolumeSource, Container, EnvVar, EnvVarSource,
    HostPathVolumeSource, Namespace, ObjectFieldSelector, PodSecurityContext, PodSpec,
    PodTemplateSpec, ResourceRequirements, SeccompProfile, SecurityContext, ServiceAccount,
    Toleration, Volume, VolumeMount,
};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::sections::logging::fluentd::Config;

use crate::sections::logging::fluentd::Directive;

use crate::bundle::Object;
use crate::sections::AppSpec;
use crate::sections::logging::EsScheme;
use crate::sections::logging::LogFormat;
use crate::sections::logging::LoggingSpec;
use crate::sections::logging::fluentd::Section;
use crate::sections::shared::labels;
use crate::sections::shared::labels::Component;
use crate::sections::shared::pod;
use crate::sections::shared::runtime::LOG_FIELD_RESPONSE_TIME;
use crate::sections::shared::runtime::LOG_FIELD_STATUS;

/// Host directory holding positions and buffers, one subdirectory per application.
pub const STATE_HOST_DIR: &str = "/var/lib/slipway-fluentd";
/// Where that directory is mounted in the Fluentd container.
pub const STATE_DIR: &str = "/var/lib/fluentd";
/// Where `fluent.conf` is mounted.
pub const CONFIG_DIR: &str = "/fluentd/etc";
/// Path of `fluent.conf` in the output tree.
pub const CONFIG_FILE: &str = "logging/fluent.conf";
/// Pod annotation with a hash of `fluent.conf`.
pub const CONFIG_HASH_ANNOTATION: &str = "slipway.dev/config-hash";
/// Label every event is routed through after the input.
const ROUTE_LABEL: &str = "SLIPWAY";
/// Key of the container's line in a CRI record (fluent-plugin-parser-cri).
const CRI_MESSAGE_KEY: &str = "message";
/// Key of the container's line in a Docker json-file record.
const DOCKER_MESSAGE_KEY: &str = "log";
/// Environment variables with the Elasticsearch credentials.
const ENV_ES_USERNAME: &str = "ES_USERNAME";
const ENV_ES_PASSWORD: &str = "ES_PASSWORD";

fn enabled(spec: &AppSpec) -> Option<&LoggingSpec> {
    spec.spec.logging.as_ref().filter(|logging| logging.enabled)
}

/// `<app>-fluentd`: the DaemonSet, its ServiceAccount, ConfigMap and RBAC.
pub fn fluentd_name(spec: &AppSpec) -> String {
    labels::name(spec, "fluentd")
}

/// The glob of the application's container log files: `<pod>_<namespace>_<container>-<id>.log`
/// for every pod whose name starts with the application's.
pub fn log_glob(spec: &AppSpec) -> String {
    format!(
        "/var/log/containers/{}-*_{}_*.log",
        spec.metadata.name,
        spec.metadata.namespace()
    )
}

/// The Fluentd configuration of the spec.
pub fn config(spec: &AppSpec, logging: &LoggingSpec) -> Config {
    let es = &logging.elasticsearch;
    let buffer = &logging.buffer;
    let (line_parser, message_key) = match logging.container_log_format {
        LogFormat::Cri => (Section::typed("parse", "cri"), CRI_MESSAGE_KEY),
        LogFormat::Docker => (
            Section::typed("parse", "json")
                .param("time_key", "time")
                .param("time_format", "%Y-%m-%dT%H:%M:%S.%NZ"),
            DOCKER_MESSAGE_KEY,
        ),
    };
    let source = Directive::source("tail")
        .param("@id", format!("in_tail_{}", spec.metadata.name))
        .param("@label", format!("@{ROUTE_LABEL}"))
        .param("path", log_glob(spec))
        .param("pos_file", format!("{STATE_DIR}/containers.log.pos"))
        .param("tag", "kubernetes.*")
        .param("read_from_head", true)
        .param("follow_inodes", true)
        .param("refresh_interval", 10)
        .section(line_parser);
    // containerd splits lines longer than 16 KiB into partial (`P`) records; join them
    // before parsing (fluent-plugin-concat, shipped in the fluentd-kubernetes-daemonset image).
    let join_partial = (logging.container_log_format == LogFormat::Cri).then(|| {
        Directive::filter("kubernetes.**", "concat")
            .param("@id", "filter_join_cri_partial")
            .param("key", CRI_MESSAGE_KEY)
            .param("use_partial_cri_logtag", true)
            .param("partial_cri_logtag_key", "logtag")
            .param("partial_cri_stream_key", "stream")
            .param("separator", "")
    });
    let metadata = Directive::filter("kubernetes.**", "kubernetes_metadata")
        .param("@id", "filter_kubernetes_metadata");
    // The runtime writes one JSON object per line; other lines (e.g. a training script's)
    // pass through unchanged.
    let runtime_json = Directive::filter("kubernetes.**", "parser")
        .param("@id", "filter_runtime_json")
        .param("key_name", message_key)
        .param("reserve_data", true)
        .param("remove_key_name_field", true)
        .param("emit_invalid_record_to_error", false)
        .section(Section::typed("parse", "json").param(
            "types",
            format!("{LOG_FIELD_STATUS}:integer,{LOG_FIELD_RESPONSE_TIME}:float"),
        ));
    let mut output = Directive::match_("kubernetes.**", "elasticsearch")
        .param("@id", "out_elasticsearch")
        .param("host", &es.host)
        .param("port", es.port)
        .param(
            "scheme",
            match es.scheme {
                EsScheme::Http => "http",
                EsScheme::Https => "https",
            },
        );
    if es.scheme == EsScheme::Https {
        output = output.param("ssl_verify", true);
    }
    if es.credentials_secret.is_some() {
        output = output
            .env_param("user", ENV_ES_USERNAME)
            .env_param("password", ENV_ES_PASSWORD);
    }
    let output = output
        .param("logstash_format", true)
        .param(
            "logstash_prefix",
            crate::sections::logging::index_prefix(spec),
        )
        // Elasticsearch 8 rejects mapping types; never send `_type`.
        .param("suppress_type_name", true)
        // Behind a Service, sniffed node addresses are unreachable: keep the configured host.
        .param("reload_connections", false)
        .param("reconnect_on_error", true)
        .param("reload_on_failure", true)
        .param("log_es_400_reason", true)
        .section(
            Section::typed("buffer", "file")
                .param("path", format!("{STATE_DIR}/buffer"))
                .param("flush_mode", "interval")
                .param(
                    "flush_interval",
                    fluentd_seconds(buffer.flush_interval.as_std()),
                )
                .param("flush_thread_count", 2)
                .param("chunk_limit_size", &buffer.chunk_limit_size)
                .param("total_limit_size", &buffer.total_limit_size)
                .param("retry_type", "exponential_backoff")
                .param("retry_max_interval", "60s")
                .param("retry_max_times", buffer.retry_max_times)
                .param("overflow_action", buffer.overflow_action.as_str()),
        );
    Config {
        directives: vec![
            Directive::system()
                .param("log_level", "info")
                .section(Section::new("log").param("format", "json")),
            source,
            Directive::label(
                ROUTE_LABEL,
                join_partial
                    .into_iter()
                    .chain([metadata, runtime_json, output])
                    .collect(),
            ),
        ],
    }
}

/// `logging/fluent.conf`.
pub fn files(spec: &AppSpec) -> BTreeMap<String, String> {
    enabled(spec)
        .map(|logging| BTreeMap::from([(CONFIG_FILE.to_string(), config(spec, logging).render())]))
        .unwrap_or_default()
}

/// The path [`files`] writes, holding nothing (for [`crate::sections::Scope::Outline`]).
pub fn empty_files(spec: &AppSpec) -> BTreeMap<String, String> {
    enabled(spec)
        .map(|_| BTreeMap::from([(CONFIG_FILE.to_string(), String::new())]))
        .unwrap_or_default()
}

fn meta(spec: &AppSpec, name: String) -> ObjectMeta {
    ObjectMeta {
        namespace: Some(crate::sections::logging::namespace(spec)),
        ..labels::cluster_meta(spec, name, Component::Logging)
    }
}

/// The logging Namespace, Fluentd's ServiceAccount, RBAC, ConfigMap and DaemonSet, for the
/// configuration [`files`] renders.
pub fn compile(spec: &AppSpec) -> Vec<Object> {
    objects(spec, &files(spec))
}

/// [`compile`] for the already rendered `files` (the configuration is rendered once, for the
/// file, the ConfigMap and the DaemonSet's rollout hash).
pub fn objects(spec: &AppSpec, files: &BTreeMap<String, String>) -> Vec<Object> {
    let (Some(logging), Some(config)) = (enabled(spec), files.get(CONFIG_FILE)) else {
        return Vec::new();
    };
    let name = fluentd_name(spec);
    // Cluster-scoped: each environment has its own.
    let cluster_name = spec.metadata.per_environment(&name);
    let mut namespace_meta = labels::cluster_meta(
        spec,
        crate::sections::logging::namespace(spec),
        Component::Logging,
    );
    namespace_meta.labels.get_or_insert_default().insert(
        "pod-security.kubernetes.io/enforce".into(),
        "privileged".into(),
    );
    vec![
        Namespace {
            metadata: namespace_meta,
            ..Default::default()
        }
        .into(),
        ServiceAccount {
            metadata: meta(spec, name.clone()),
            automount_service_account_token: Some(false),
            ..Default::default()
        }
        .into(),
        ClusterRole {
            metadata: labels::cluster_meta(spec, cluster_name.clone(), Component::Logging),
            rules: Some(vec![PolicyRule {
                api_groups: Some(vec![String::new()]),
                resources: Some(vec!["namespaces".into(), "pods".into()]),
                verbs: vec!["get".into(), "list".into(), "watch".into()],
                ..Default::default()
            }]),
            ..Default::default()
        }
        .into(),
        ClusterRoleBinding {
            metadata: labels::cluster_meta(spec, cluster_name.clone(), Component::Logging),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "ClusterRole".into(),
                name: cluster_name,
            },
            subjects: Some(vec![Subject {
                kind: "ServiceAccount".into(),
                name: name.clone(),
                namespace: Some(crate::sections::logging::namespace(spec)),
                ..Default::default()
            }]),
        }
        .into(),
        ConfigMap {
            metadata: meta(spec, name.clone()),
            data: Some(BTreeMap::from([(
                "fluent.conf".to_string(),
                config.clone(),
            )])),
            ..Default::default()
        }
        .into(),
        daemon_set(spec, logging, name, config).into(),
    ]
    .into_iter()
    .chain(crate::sections::logging::retention::objects(spec))
    .collect()
}

fn host_path(name: &str, path: String, kind: &str) -> Volume {
    Volume {
        name: name.into(),
        host_path: Some(HostPathVolumeSource {
            path,
            type_: Some(kind.into()),
        }),
        ..Default::default()
    }
}

fn mount(name: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        read_only: read_only.then_some(true),
        ..Default::default()
    }
}

fn daemon_set(spec: &AppSpec, logging: &LoggingSpec, name: String, config: &str) -> DaemonSet {
    let selector = labels::selector(spec, Component::Logging, None);
    let mut volumes = vec![
        host_path(
            "varlogcontainers",
            "/var/log/containers".into(),
            "Directory",
        ),
        host_path("varlogpods", "/var/log/pods".into(), "Directory"),
        host_path(
            "state",
            format!(
                "{STATE_HOST_DIR}/{}_{}",
                spec.metadata.namespace(),
                spec.metadata.name
            ),
            "DirectoryOrCreate",
        ),
        Volume {
            name: "config".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: name.clone(),
                ..Default::default()
            }),
            ..Default::default()
        },
        pod::tmp_volume(),
    ];
    let mut mounts = vec![
        mount("varlogcontainers", "/var/log/containers", true),
        mount("varlogpods", "/var/log/pods", true),
        mount("state", STATE_DIR, false),
        mount("config", CONFIG_DIR, true),
        pod::tmp_mount(),
    ];
    if logging.container_log_format == LogFormat::Docker {
        volumes.push(host_path(
            "dockercontainers",
            "/var/lib/docker/containers".into(),
            "Directory",
        ));
        mounts.push(mount(
            "dockercontainers",
            "/var/lib/docker/containers",
            true,
        ));
    }
    let mut env = vec![EnvVar {
        // Lets kubernetes_metadata watch only this node's pods.
        name: "K8S_NODE_NAME".into(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: "spec.nodeName".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }];
    if let Some(secret) = &logging.elasticsearch.credentials_secret {
        env.push(pod::secret_env(ENV_ES_USERNAME, secret, "username"));
        env.push(pod::secret_env(ENV_ES_PASSWORD, secret, "password"));
    }
    let seccomp = SeccompProfile {
        type_: "RuntimeDefault".into(),
        ..Default::default()
    };
    let container = Container {
        name: "fluentd".into(),
        image: Some(logging.image.clone()),
        image_pull_policy: Some("IfNotPresent".into()),
        // The image's entrypoint edits fluent.conf in place (`sed -i`), which a read-only
        // ConfigMap mount refuses: start fluentd directly under the image's init (tini).
        command: Some(vec!["tini".into(), "--".into(), "fluentd".into()]),
        args: Some(vec![
            "-c".into(),
            format!("{CONFIG_DIR}/fluent.conf"),
            "-p".into(),
            "/fluentd/plugins".into(),
        ]),
        env: Some(env),
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_string(), Quantity("100m".into())),
                ("memory".to_string(), Quantity("256Mi".into())),
            ])),
            limits: Some(BTreeMap::from([
                ("cpu".to_string(), Quantity("1".into())),
                ("memory".to_string(), Quantity("512Mi".into())),
            ])),
            ..Default::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            privileged: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                ..Default::default()
            }),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(false),
            run_as_user: Some(0),
            seccomp_profile: Some(seccomp.clone()),
            ..Default::default()
        }),
        volume_mounts: Some(mounts),
        termination_message_policy: Some("FallbackToLogsOnError".into()),
        ..Default::default()
    };
    let pod_labels = labels::labels(spec, Component::Logging, None, None);
    // A changed fluent.conf changes the pod template, so the DaemonSet rolls and reloads it.
    let config_hash = format!("{:016x}", crate::k8s::name::stable_hash(config.as_bytes()));
    DaemonSet {
        metadata: meta(spec, name.clone()),
        spec: Some(DaemonSetSpec {
            selector: labels::match_labels(selector),
            update_strategy: Some(DaemonSetUpdateStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateDaemonSet {
                    max_unavailable: Some(IntOrString::Int(1)),
                    ..Default::default()
                }),
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(pod_labels),
                    annotations: Some(BTreeMap::from([(
                        CONFIG_HASH_ANNOTATION.to_string(),
                        config_hash,
                    )])),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    service_account_name: Some(name),
                    // kubernetes_metadata reads pods and namespaces from the API server.
                    automount_service_account_token: Some(true),
                    enable_service_links: Some(false),
                    security_context: Some(PodSecurityContext {
                        run_as_user: Some(0),
                        run_as_group: Some(0),
                        seccomp_profile: Some(seccomp),
                        ..Default::default()
                    }),
                    // Wherever the application's pods may run (its node selector), tainted
                    // GPU nodes included.
                    node_selector: (!spec.spec.scheduling.node_selector.is_empty())
                        .then(|| spec.spec.scheduling.node_selector.clone()),
                    tolerations: Some(vec![Toleration {
                        operator: Some("Exists".into()),
                        ..Default::default()
                    }]),
                    termination_grace_period_seconds: Some(30),
                    containers: vec![container],
                    volumes: Some(volumes),
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A duration as Fluentd's time parameters read it: whole seconds (`90s`), or seconds with a
/// fraction (`0.5`). Fluentd matches the first unit it finds anywhere in the text, so `1h30m`
/// would read as 30 minutes and `500ms` as 500 minutes: never pass Prometheus text through.
fn fluentd_seconds(value: std::time::Duration) -> String {
    if value.subsec_nanos() == 0 {
        format!("{}s", value.as_secs())
    } else {
        format!("{}", value.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::minimal;
    use crate::compile::testing::pod;
    use crate::compile::testing::pod_annotations;
    use crate::compile::testing::seed;
    use crate::sections::shared::runtime::LOG_FIELDS;

    fn daemon(objects: &[Object]) -> &DaemonSet {
        crate::bundle::typed(objects).next().expect("a DaemonSet")
    }

    #[test]
    fn the_seed_spec_tails_its_own_logs_with_the_cri_parser() {
        let spec = seed();
        let text = config(&spec, spec.spec.logging.as_ref().unwrap()).render();
        assert!(text.contains("path /var/log/containers/ai-inference-*_ai-applications_*.log\n"));
        assert!(text.contains("    @type cri\n"));
        assert!(text.contains("use_partial_cri_logtag true\n"));
        assert!(text.contains("key_name message\n"));
        assert!(text.contains("logstash_prefix ai-inference\n"));
        assert!(
            text.lines()
                .all(|line| !line.trim_start().starts_with("type_name"))
        );
        assert!(text.contains(&format!("pos_file {STATE_DIR}/")));
    }

    #[test]
    fn docker_format_parses_json_lines_and_mounts_docker_logs() {
        let mut spec = seed();
        let logging = spec.spec.logging.as_mut().unwrap();
        logging.container_log_format = LogFormat::Docker;
        let text = config(&spec, spec.spec.logging.as_ref().unwrap()).render();
        assert!(text.contains("key_name log\n"));
        assert!(
            !text.contains("@type concat"),
            "Docker lines are never partial records"
        );
        let objects = compile(&spec);
        let pod = pod(daemon(&objects));
        assert!(
            pod.volumes
                .as_ref()
                .unwrap()
                .iter()
                .any(|v| v.name == "dockercontainers")
        );
    }

    #[test]
    fn a_config_change_rolls_the_daemon_set() {
        let hash = |spec: &AppSpec| {
            let objects = compile(spec);
            pod_annotations(daemon(&objects))[CONFIG_HASH_ANNOTATION].clone()
        };
        let mut spec = seed();
        let before = hash(&spec);
        assert_eq!(before, hash(&seed()));
        spec.spec.logging.as_mut().unwrap().buffer.flush_interval = "10s".parse().unwrap();
        assert_ne!(before, hash(&spec));
    }

    #[test]
    fn typed_fields_are_the_runtimes() {
        assert!(LOG_FIELDS.contains(&LOG_FIELD_STATUS));
        assert!(LOG_FIELDS.contains(&LOG_FIELD_RESPONSE_TIME));
    }

    #[test]
    fn host_logs_are_read_only_and_the_container_is_locked_down() {
        let objects = compile(&seed());
        let pod = pod(daemon(&objects));
        let container = &pod.containers[0];
        for mount in container.volume_mounts.as_ref().unwrap() {
            if mount.mount_path.starts_with("/var/log") {
                assert_eq!(mount.read_only, Some(true), "{}", mount.mount_path);
            }
        }
        let security = container.security_context.as_ref().unwrap();
        assert_eq!(security.read_only_root_filesystem, Some(true));
        assert_eq!(security.allow_privilege_escalation, Some(false));
        assert_eq!(
            security.capabilities.as_ref().unwrap().drop.as_deref(),
            Some(&["ALL".to_string()][..])
        );
    }

    #[test]
    fn rbac_reads_pods_and_namespaces_only() {
        let objects = compile(&seed());
        let role: &k8s_openapi::api::rbac::v1::ClusterRole =
            crate::bundle::typed(&objects).next().unwrap();
        let rules = role.rules.as_ref().unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].api_groups.as_deref(), Some(&[String::new()][..]));
        assert_eq!(rules[0].verbs, ["get", "list", "watch"]);
    }

    #[test]
    fn credentials_come_from_the_secret() {
        let mut spec = seed();
        spec.spec
            .logging
            .as_mut()
            .unwrap()
            .elasticsearch
            .credentials_secret = Some("es-creds".into());
        let text = config(&spec, spec.spec.logging.as_ref().unwrap()).render();
        assert!(text.contains("user \"#{ENV['ES_USERNAME']}\"\n"));
        let objects = compile(&spec);
        let env = pod(daemon(&objects)).containers[0].env.clone().unwrap();
        assert!(env.iter().any(|e| {
            e.name == "ES_PASSWORD"
                && e.value_from
                    .as_ref()
                    .unwrap()
                    .secret_key_ref
                    .as_ref()
                    .unwrap()
                    .name
                    == "es-creds"
        }));
    }

    #[test]
    fn off_without_logging_or_when_disabled() {
        assert!(compile(&minimal()).is_empty() && files(&minimal()).is_empty());
        assert!(objects(&minimal(), &files(&minimal())).is_empty());
        let mut spec = seed();
        spec.spec.logging.as_mut().unwrap().enabled = false;
        assert!(compile(&spec).is_empty() && files(&spec).is_empty());
    }

    #[test]
    fn runs_in_its_own_privileged_namespace() {
        let objects = compile(&seed());
        let Object::Namespace(namespace) = &objects[0] else {
            panic!("first object is the Namespace")
        };
        assert_eq!(
            namespace.metadata.name.as_deref(),
            Some("ai-inference-logging")
        );
        assert_eq!(
            namespace.metadata.labels.as_ref().unwrap()["pod-security.kubernetes.io/enforce"],
            "privileged"
        );
        assert!(objects.iter().all(|o| matches!(
            o,
            Object::Namespace(_) | Object::ClusterRole(_) | Object::ClusterRoleBinding(_)
        ) || o.namespace() == "ai-inference-logging"));
    }

    #[test]
    fn the_config_map_holds_the_fluent_conf_file() {
        let spec = seed();
        let files = files(&spec);
        let objects: Vec<Object> = objects(&spec, &files)
            .into_iter()
            .filter(|object| matches!(object, Object::ConfigMap(_)))
            .collect();
        let [Object::ConfigMap(config_map)] = objects.as_slice() else {
            panic!("one ConfigMap: {objects:?}")
        };
        assert_eq!(
            config_map.metadata.namespace.as_deref(),
            Some("ai-inference-logging")
        );
        assert_eq!(
            config_map.data.as_ref().unwrap()["fluent.conf"],
            files[CONFIG_FILE]
        );
    }

    #[test]
    fn flush_intervals_are_written_in_seconds_fluentd_reads() {
        let seconds = |text: &str| {
            fluentd_seconds(
                text.parse::<crate::k8s::duration::Duration>()
                    .unwrap()
                    .as_std(),
            )
        };
        assert_eq!(seconds("5s"), "5s");
        assert_eq!(seconds("1m30s"), "90s");
        assert_eq!(seconds("1h"), "3600s");
        assert_eq!(seconds("500ms"), "0.5");
    }
}
