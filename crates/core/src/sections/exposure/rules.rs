//! The rules of the `exposure` section.

use crate::diagnostic::Diagnostic;
use crate::k8s::name::dns_name;
use crate::k8s::name::is_dns1123_label;
use crate::k8s::name::is_dns1123_subdomain;
use crate::sections::AppSpec;

/// Reports [`EXPOSURE_HOSTNAME`], [`EXPOSURE_ROUTE`] and
/// [`EXPOSURE_NETWORK_POLICY`].
pub(crate) fn check_exposure(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(exposure) = &spec.spec.exposure else {
        return;
    };
    for (i, host) in exposure.hostnames.iter().enumerate() {
        if !is_hostname(host) {
            out.push(
                Diagnostic::new(
                    &EXPOSURE_HOSTNAME,
                    format!("spec.exposure.hostnames[{i}]"),
                    format!("`{host}` is not a DNS name"),
                )
                .with_help("a host name only, e.g. `models.example.com` (no scheme, port or path)"),
            );
        }
    }
    let route = |path: &str, message: String, help: &str| {
        Diagnostic::new(&EXPOSURE_ROUTE, path, message).with_help(help)
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
                    &EXPOSURE_NETWORK_POLICY,
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
                    &crate::k8s::name::DNS_NAME,
                    "spec.exposure.gateway.namespace",
                    format!("`{namespace}` is not a valid namespace name"),
                )
                .with_help("use lowercase letters, digits and '-'"),
            );
        }
    }
}

/// Whether `host` is a DNS name an HTTPRoute, an Ingress and a Certificate accept: a DNS-1123
/// subdomain with at least two labels, optionally behind a `*.` wildcard.
fn is_hostname(host: &str) -> bool {
    let name = host.strip_prefix("*.").unwrap_or(host);
    is_dns1123_subdomain(name) && name.contains('.') && name.split('.').all(is_dns1123_label)
}

crate::diagnostic::codes! {
    EXPOSURE_HOSTNAME {
        id: "exposure-hostname",
        severity: Error,
        stage: Spec,
        what: "Checks `exposure.hostnames`: each a DNS name (lowercase labels of letters, digits and `-`), optionally with a leading `*.` wildcard.",
        why: "The API server rejects an HTTPRoute or Ingress with such a host, and cert-manager cannot get a certificate for it: the route never serves, after the GitOps commit landed.",
        example: "`exposure: {hostnames: [\"https://models.example.com/\"]}`",
        instead: "`exposure: {hostnames: [models.example.com]}`",
    }
    EXPOSURE_ROUTE {
        id: "exposure-route",
        severity: Error,
        stage: Spec,
        what: "Checks `exposure`: exactly one of `gateway` and `ingress`, path prefixes that are absolute, at least one path, and hostnames whenever `tls` asks for a Certificate.",
        why: "A route with no path or backend sends nothing to the model; two routes to one host fight over it; cert-manager rejects a Certificate without dnsNames, so the listener serves no certificate.",
        example: "`exposure: {tls: {issuer: {name: letsencrypt}}, gateway: {name: public}}` without `hostnames`",
        instead: "`exposure: {hostnames: [models.example.com], tls: {issuer: {name: letsencrypt}}, gateway: {name: public}}`",
    }
    EXPOSURE_NETWORK_POLICY {
        id: "exposure-network-policy",
        severity: Warning,
        stage: Spec,
        what: "Warns when the HTTPRoute's Gateway lives in a namespace the inference NetworkPolicy does not admit.",
        why: "The Gateway's proxies usually run in the Gateway's namespace; the NetworkPolicy then drops their connections to the pods and every routed request times out, although route, certificate and pods all look healthy.",
        example: "`exposure: {gateway: {name: public, namespace: gateway-system}}` with `security.networkPolicy.allowNamespaces: []`",
        instead: "`security: {networkPolicy: {allowNamespaces: [gateway-system]}}` (or the namespace the Gateway's data plane runs in)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sections::model::ModelSource;
    use crate::sections::serving::RuntimeSpec;

    fn ids(spec: &AppSpec) -> Vec<&'static str> {
        crate::validate::check(spec)
            .into_iter()
            .map(|d| d.id())
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
        assert_eq!(diagnostics[0].id(), "exposure-network-policy");
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
        spec.spec.inference.runtime =
            RuntimeSpec::Custom(crate::sections::serving::CustomRuntimeSpec {
                image: "acme/server:1.0".into(),
                command: vec![],
                args: vec![],
                metrics_path: Some("/metrics".into()),
            });
        // (A custom runtime also warns that its probe paths are the built-in server's.)
        assert_eq!(
            ids(&spec),
            ["probe-paths", "canary-analysis", "keda-scaler"]
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
