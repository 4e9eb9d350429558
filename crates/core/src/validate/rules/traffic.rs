//! Production traffic: exposure (hostnames, routes, TLS), KEDA autoscaling, canary rollouts
//! and their analysis, object-store credentials and workload identity, distributed training.

use crate::diagnostic::{Diagnostic, codes};
use crate::k8s::name::{is_dns1123_label, is_dns1123_subdomain};
use crate::spec::{AppSpec, CanaryStep, ModelSource, RuntimeSpec, StoreUri};

/// Whether `host` is a DNS name an HTTPRoute, an Ingress and a Certificate accept: a DNS-1123
/// subdomain with at least two labels, optionally behind a `*.` wildcard.
fn is_hostname(host: &str) -> bool {
    let name = host.strip_prefix("*.").unwrap_or(host);
    is_dns1123_subdomain(name) && name.contains('.') && name.split('.').all(is_dns1123_label)
}

fn dns_name(out: &mut Vec<Diagnostic>, path: String, value: &str, what: &str) {
    if !is_dns1123_subdomain(value) {
        out.push(
            Diagnostic::new(
                &codes::DNS_NAME,
                path,
                format!("`{value}` is not a valid {what} name"),
            )
            .with_help("use lowercase letters, digits, '-' and '.'"),
        );
    }
}

/// Reports [`codes::EXPOSURE_HOSTNAME`], [`codes::EXPOSURE_ROUTE`] and
/// [`codes::EXPOSURE_NETWORK_POLICY`].
pub(super) fn check_exposure(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(exposure) = &spec.spec.exposure else {
        return;
    };
    for (i, host) in exposure.hostnames.iter().enumerate() {
        if !is_hostname(host) {
            out.push(
                Diagnostic::new(
                    &codes::EXPOSURE_HOSTNAME,
                    format!("spec.exposure.hostnames[{i}]"),
                    format!("`{host}` is not a DNS name"),
                )
                .with_help("a host name only, e.g. `models.example.com` (no scheme, port or path)"),
            );
        }
    }
    let route = |path: &str, message: String, help: &str| {
        Diagnostic::new(&codes::EXPOSURE_ROUTE, path, message).with_help(help)
    };
    match (&exposure.gateway, &exposure.ingress) {
        (None, None) => out.push(route(
            "spec.exposure",
            "exposure has no route: set `gateway` (an HTTPRoute) or `ingress`".into(),
            "e.g. `gateway: {name: public, namespace: gateways}`",
        )),
        (Some(_), Some(_)) => out.push(route(
            "spec.exposure.ingress",
            "exposure has both a Gateway route and an Ingress for the same hosts".into(),
            "keep `gateway` where Gateway API is installed, else `ingress`",
        )),
        _ => {}
    }
    if let Some(paths) = &exposure.paths {
        if paths.is_empty() {
            out.push(route(
                "spec.exposure.paths",
                "the route has no path, so no request reaches the inference Service".into(),
                "remove `paths` for the defaults (`/v2/models/<model>`, `/predict`)",
            ));
        }
        for (i, path) in paths.iter().enumerate() {
            if !path.starts_with('/') || path.contains(char::is_whitespace) {
                out.push(route(
                    &format!("spec.exposure.paths[{i}]"),
                    format!("`{path}` is not an absolute path prefix"),
                    "e.g. `/predict`",
                ));
            }
        }
    }
    if let Some(tls) = &exposure.tls {
        if exposure.hostnames.is_empty() {
            out.push(route(
                "spec.exposure.tls",
                "tls asks for a Certificate, but exposure has no hostnames to certify".into(),
                "list the hostnames clients use, e.g. `hostnames: [models.example.com]`",
            ));
        }
        dns_name(
            out,
            "spec.exposure.tls.issuer.name".into(),
            &tls.issuer.name,
            "issuer",
        );
        if let Some(secret) = &tls.secret_name {
            dns_name(out, "spec.exposure.tls.secretName".into(), secret, "Secret");
        }
    }
    if let Some(gateway) = &exposure.gateway {
        let policy = &spec.spec.security.network_policy;
        if let Some(namespace) = gateway.namespace.as_deref()
            && policy.enabled
            && namespace != spec.metadata.namespace()
            && !policy.allow_namespaces.iter().any(|n| n == namespace)
        {
            out.push(
                Diagnostic::new(
                    &codes::EXPOSURE_NETWORK_POLICY,
                    "spec.exposure.gateway.namespace",
                    format!(
                        "the Gateway is in namespace `{namespace}`, which the inference NetworkPolicy does not admit"
                    ),
                )
                .with_help(format!(
                    "add it: `security: {{networkPolicy: {{allowNamespaces: [{namespace}]}}}}` (or the namespace the Gateway's proxies run in)"
                )),
            );
        }
        dns_name(
            out,
            "spec.exposure.gateway.name".into(),
            &gateway.name,
            "Gateway",
        );
        if let Some(namespace) = &gateway.namespace
            && !is_dns1123_label(namespace)
        {
            out.push(
                Diagnostic::new(
                    &codes::DNS_NAME,
                    "spec.exposure.gateway.namespace",
                    format!("`{namespace}` is not a valid namespace name"),
                )
                .with_help("use lowercase letters, digits and '-'"),
            );
        }
    }
}

/// Whether the inference pods' `slipway_*` series reach Prometheus: the built-in runtime,
/// scraped because monitoring is on.
fn has_scraped_runtime_metrics(spec: &AppSpec) -> bool {
    spec.spec.monitoring.enabled
        && matches!(spec.spec.inference.runtime, RuntimeSpec::SlipwayServe(_))
}

/// Reports [`codes::KEDA_HPA_CONFLICT`], [`codes::KEDA_SCALER`] and
/// [`codes::PROMETHEUS_ADDRESS`].
pub(super) fn check_keda(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let monitoring = &spec.spec.monitoring;
    if let Some(address) = &monitoring.prometheus_address
        && !(address.starts_with("http://") || address.starts_with("https://"))
    {
        out.push(
            Diagnostic::new(
                &codes::PROMETHEUS_ADDRESS,
                "spec.monitoring.prometheusAddress",
                format!("`{address}` is not an http:// or https:// URL"),
            )
            .with_help("e.g. `http://prometheus-operated.monitoring.svc:9090`"),
        );
    }
    let Some(keda) = &spec.spec.scaling.keda else {
        return;
    };
    if spec.spec.scaling.hpa.is_some() {
        out.push(
            Diagnostic::new(
                &codes::KEDA_HPA_CONFLICT,
                "spec.scaling.keda",
                "scaling.keda and scaling.hpa both scale the inference workload; KEDA creates its own HPA",
            )
            .with_help("remove `scaling.hpa` (or `scaling.keda`)"),
        );
    }
    let mut bad = |field: &str, message: String, help: &str| {
        out.push(
            Diagnostic::new(
                &codes::KEDA_SCALER,
                format!("spec.scaling.keda{field}"),
                message,
            )
            .with_help(help),
        );
    };
    if keda.min_replicas < 1 {
        bad(
            ".minReplicas",
            format!(
                "minReplicas is {}: a serving workload at zero pods has no load metric and no endpoints to wake it",
                keda.min_replicas
            ),
            "set minReplicas to 1 or more; scale only the idle blue/green color to zero (`idleColorToZero: true`)",
        );
    }
    if keda.max_replicas < keda.min_replicas.max(1) {
        bad(
            ".maxReplicas",
            format!(
                "maxReplicas ({}) is below minReplicas ({})",
                keda.max_replicas, keda.min_replicas
            ),
            "make minReplicas ≤ maxReplicas",
        );
    }
    if keda.target_per_pod.is_nan() || keda.target_per_pod <= 0.0 {
        bad(
            ".targetPerPod",
            format!(
                "targetPerPod is {}; it must be positive",
                keda.target_per_pod
            ),
            "e.g. 8 requests in flight per pod",
        );
    }
    if keda.polling_interval_seconds < 1 || keda.cooldown_period_seconds < 0 {
        bad(
            "",
            "pollingIntervalSeconds must be positive and cooldownPeriodSeconds not negative".into(),
            "e.g. 15 and 300",
        );
    }
    if keda.idle_color_to_zero && spec.spec.rollout.blue_green.is_none() {
        bad(
            ".idleColorToZero",
            "idleColorToZero has no effect without rollout.blueGreen".into(),
            "remove it, or use a blue/green rollout",
        );
    }
    if !has_scraped_runtime_metrics(spec) {
        bad(
            "",
            "KEDA scales on slipway-serve's request metrics, which Prometheus does not scrape here (monitoring off or a custom runtime)".into(),
            "keep `monitoring.enabled` and the built-in runtime, or use `scaling.hpa`",
        );
    }
}

/// Reports [`codes::ROLLOUT_STRATEGY`], [`codes::CANARY_STEPS`] and [`codes::CANARY_ANALYSIS`].
pub(super) fn check_canary(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(canary) = &spec.spec.rollout.canary else {
        return;
    };
    if spec.spec.rollout.blue_green.is_some() {
        out.push(
            Diagnostic::new(
                &codes::ROLLOUT_STRATEGY,
                "spec.rollout.canary",
                "rollout has both blueGreen and canary",
            )
            .with_help("choose one strategy"),
        );
    }
    let steps = |path: String, message: String, help: &str| {
        Diagnostic::new(&codes::CANARY_STEPS, path, message).with_help(help)
    };
    if canary.steps.is_empty() {
        out.push(steps(
            "spec.rollout.canary.steps".into(),
            "the canary has no steps: the new version would take all traffic at once".into(),
            "e.g. `[{setWeight: 20}, {pause: {duration: 5m}}, {analysis: {}}, {setWeight: 50}]`",
        ));
    } else if !canary
        .steps
        .iter()
        .any(|s| matches!(s, CanaryStep::SetWeight(_)))
    {
        out.push(steps(
            "spec.rollout.canary.steps".into(),
            "the canary never sets a weight: the new version would take all traffic at once".into(),
            "add `setWeight` steps, e.g. `{setWeight: 20}`",
        ));
    }
    let mut previous = 0;
    for (i, step) in canary.steps.iter().enumerate() {
        match step {
            CanaryStep::SetWeight(weight) => {
                let path = format!("spec.rollout.canary.steps[{i}].setWeight");
                if !(1..=100).contains(weight) {
                    out.push(steps(
                        path,
                        format!("weight {weight} is not a percentage between 1 and 100"),
                        "e.g. 20",
                    ));
                } else if *weight <= previous {
                    out.push(steps(
                        path,
                        format!(
                            "weight {weight} does not increase on the previous weight {previous}"
                        ),
                        "weights rise step by step towards 100",
                    ));
                }
                previous = previous.max(*weight);
            }
            CanaryStep::Pause(_) | CanaryStep::Analysis(_) => {}
        }
    }
    let analysis = |path: &str, message: String, help: &str| {
        Diagnostic::new(&codes::CANARY_ANALYSIS, path, message).with_help(help)
    };
    if !spec.spec.monitoring.enabled {
        out.push(analysis(
            "spec.rollout.canary",
            "the canary analysis has no metrics source: monitoring is off, so Prometheus scrapes no request metrics".into(),
            "turn `monitoring.enabled` back on",
        ));
    } else if !matches!(spec.spec.inference.runtime, RuntimeSpec::SlipwayServe(_)) {
        out.push(analysis(
            "spec.rollout.canary",
            "the canary analysis has no metrics source: a custom runtime does not export slipway-serve's request metrics".into(),
            "use the built-in runtime, or roll out with `maxSurge`/`maxUnavailable` or blue/green",
        ));
    }
    let settings = &canary.analysis;
    if settings.count < 1 || settings.failure_limit < 0 {
        out.push(analysis(
            "spec.rollout.canary.analysis",
            format!(
                "count is {} and failureLimit {}: count must be at least 1, failureLimit not negative",
                settings.count, settings.failure_limit
            ),
            "e.g. `count: 5, failureLimit: 0`",
        ));
    }
}

/// Reports [`codes::MODEL_STORE_IDENTITY`] (the URI itself is checked by `model-source`).
pub(super) fn check_store_identity(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
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
                &codes::MODEL_STORE_IDENTITY,
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
                &codes::MODEL_STORE_IDENTITY,
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
                &codes::MODEL_STORE_IDENTITY,
                path,
                format!(
                    "`{}://` URIs take no workload identity",
                    uri.scheme.as_str()
                ),
            )
            .with_help(if uri.scheme == crate::spec::StoreScheme::Hf {
                "give a private model's token as `credentialsSecret` (key `HF_TOKEN`)"
            } else {
                "remove `identity`"
            }),
        ),
    }
}

/// Reports [`codes::TRAINING_DISTRIBUTED`].
pub(super) fn check_distributed(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(training) = &spec.spec.training else {
        return;
    };
    let Some(distributed) = &training.distributed else {
        return;
    };
    let mut bad = |field: &str, message: String, help: &str| {
        out.push(Diagnostic::new(&codes::TRAINING_DISTRIBUTED, field, message).with_help(help));
    };
    if distributed.gpus_per_worker == 0 {
        bad(
            "spec.training.distributed.gpusPerWorker",
            "distributed training without GPUs per worker".into(),
            "set `gpusPerWorker: 1` or more, or train in one pod (remove `distributed`)",
        );
    }
    if distributed.workers < 1 {
        bad(
            "spec.training.distributed.workers",
            format!(
                "workers is {}; at least one Worker beside the Master",
                distributed.workers
            ),
            "e.g. `workers: 3`, or remove `distributed`",
        );
    }
    if training.schedule.is_some() {
        bad(
            "spec.training.schedule",
            "a PyTorchJob cannot run on a schedule (only a Job can be a CronJob)".into(),
            "remove `schedule`, or train in one pod",
        );
    }
    if training.pre_sync_hook {
        bad(
            "spec.training.preSyncHook",
            "a PyTorchJob is not run as an Argo CD PreSync hook".into(),
            "remove `preSyncHook`",
        );
    }
    if training.gpus > 0 {
        bad(
            "spec.training.gpus",
            "training.gpus and distributed.gpusPerWorker both set a GPU count".into(),
            "remove `training.gpus`; `gpusPerWorker` applies to every replica",
        );
    }
    // Every replica mounts the training claims, on nodes of its own.
    let data = training.data.as_ref().map(|d| &d.claim);
    let output = training.output_claim(&spec.spec.model);
    for (field, claim) in [("data", data), ("output", output)] {
        let Some(claim) = claim else { continue };
        let mode = claim.access_mode;
        if matches!(
            mode,
            crate::spec::AccessMode::ReadWriteOnce | crate::spec::AccessMode::ReadWriteOncePod
        ) {
            bad(
                &format!("spec.training.{field}.claim.accessMode"),
                format!(
                    "the {field} claim is {}, but {} replicas on different nodes mount it",
                    mode.as_str(),
                    distributed.workers + 1
                ),
                "use `ReadOnlyMany` for data and `ReadWriteMany` for the output",
            );
        }
    }
    if let Some(queue) = &distributed.queue_name
        && !is_dns1123_subdomain(queue)
    {
        bad(
            "spec.training.distributed.queueName",
            format!("`{queue}` is not a valid LocalQueue name"),
            "use lowercase letters, digits, '-' and '.'",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(spec: &AppSpec) -> Vec<&'static str> {
        crate::validate::check(spec)
            .into_iter()
            .map(|d| d.id)
            .collect()
    }

    fn production() -> AppSpec {
        let text = include_str!("../../../../../specs/production.yaml");
        crate::spec::load_str("specs/production.yaml", text)
            .expect("the production spec loads")
            .spec
    }

    #[test]
    fn the_production_spec_passes_every_rule() {
        assert_eq!(ids(&production()), Vec::<&str>::new());
    }

    #[test]
    fn a_gateway_the_network_policy_does_not_admit_is_a_warning() {
        let mut spec = production();
        spec.spec.security.network_policy.allow_namespaces.clear();
        let diagnostics = crate::validate::check(&spec);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].id, "exposure-network-policy");
        assert!(!diagnostics[0].is_error());
    }

    #[test]
    fn mismatches_across_sections_are_errors() {
        let mut spec = production();
        spec.spec.exposure.as_mut().unwrap().ingress = Some(Default::default());
        assert_eq!(ids(&spec), ["exposure-route"]);

        let mut spec = production();
        spec.spec.rollout.blue_green = crate::compile::testing::seed().spec.rollout.blue_green;
        // The seed's colors serve model versions 1 and 2; production's path has no `{version}`.
        assert_eq!(ids(&spec), ["model-path-unversioned", "rollout-strategy"]);

        let mut spec = production();
        spec.spec.inference.runtime = RuntimeSpec::Custom(crate::spec::CustomRuntimeSpec {
            image: "acme/server:1.0".into(),
            command: vec![],
            args: vec![],
            metrics_path: Some("/metrics".into()),
        });
        // (A custom runtime also warns that its probe paths are the built-in server's.)
        assert_eq!(
            ids(&spec),
            ["probe-paths", "keda-scaler", "canary-analysis"]
        );

        let mut spec = production();
        spec.spec.monitoring.prometheus_address = Some("prometheus:9090".into());
        assert_eq!(ids(&spec), ["prometheus-address"]);

        let mut spec = production();
        if let ModelSource::ObjectStore(store) = &mut spec.spec.model.source {
            store.uri = "hf://acme/fraud/fraud.onnx".into();
        }
        assert_eq!(ids(&spec), ["model-store-identity"]);

        let mut spec = production();
        let training = spec.spec.training.as_mut().unwrap();
        training.schedule = Some("0 3 * * *".parse().unwrap());
        training.gpus = 1;
        assert_eq!(ids(&spec), ["training-distributed", "training-distributed"]);
    }

    #[test]
    fn hostnames() {
        for good in ["models.example.com", "*.example.com", "a-b.c"] {
            assert!(is_hostname(good), "{good}");
        }
        for bad in [
            "localhost",
            "https://x.com",
            "x.com:443",
            "X.com",
            "*x.com",
            "a..b",
        ] {
            assert!(!is_hostname(bad), "{bad}");
        }
    }
}
