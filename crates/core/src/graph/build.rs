//! Computing the model from a bundle: one pass over the typed objects (`bundle::Object`
//! variants), each kind adding the edges its fields declare.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::model::{Edge, Graph, Node, NodeId, Origin, Relation};
use crate::bundle::{Bundle, Object};
use crate::promql;

/// The pods of one workload: its node, namespace, and each pod template with the path to it.
struct Pods<'a> {
    id: NodeId,
    namespace: &'a str,
    name: &'a str,
    templates: Vec<(String, &'a PodTemplateSpec)>,
}

impl Pods<'_> {
    fn labels(&self) -> impl Iterator<Item = &BTreeMap<String, String>> {
        self.templates
            .iter()
            .filter_map(|(_, t)| t.metadata.as_ref()?.labels.as_ref())
    }
}

/// Adds nodes and edges, keeping them unique; [`Builder::finish`] sorts them.
struct Builder {
    nodes: BTreeMap<NodeId, Node>,
    edges: BTreeSet<Edge>,
}

impl Builder {
    fn rendered(&mut self, object: &Object) -> NodeId {
        let id = NodeId::new(object.kind(), object.namespace(), object.name());
        self.nodes.insert(
            id.clone(),
            Node {
                id: id.clone(),
                kind: object.kind().to_string(),
                namespace: object.namespace().to_string(),
                name: object.name().to_string(),
                origin: Origin::Rendered,
                diagnostics: Vec::new(),
            },
        );
        id
    }

    /// The node of `kind` `name`: the rendered one if there is one, else an outside thing.
    fn node(&mut self, kind: &str, namespace: &str, name: &str) -> NodeId {
        let id = NodeId::new(kind, namespace, name);
        self.nodes.entry(id.clone()).or_insert_with(|| Node {
            id: id.clone(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            origin: Origin::External,
            diagnostics: Vec::new(),
        });
        id
    }

    fn edge(&mut self, from: &NodeId, to: &NodeId, relation: Relation, field: impl Into<String>) {
        self.edges.insert(Edge {
            from: from.clone(),
            to: to.clone(),
            relation,
            field: field.into(),
        });
    }

    fn finish(self) -> Graph {
        let mut graph = Graph {
            nodes: self.nodes.into_values().collect(),
            edges: self.edges.into_iter().collect(),
            ..Graph::default()
        };
        graph.reindex();
        graph
    }
}

/// Whether `labels` satisfy `selector` (matchLabels and matchExpressions). An empty selector
/// selects everything.
fn selects(selector: &LabelSelector, labels: Option<&BTreeMap<String, String>>) -> bool {
    let empty = BTreeMap::new();
    let labels = labels.unwrap_or(&empty);
    let by_labels = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let by_expressions = selector.match_expressions.iter().flatten().all(|e| {
        let values = e.values.as_deref().unwrap_or_default();
        let value = labels.get(&e.key);
        match e.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    by_labels && by_expressions
}

/// Whether a map selector (a Service's) selects `labels`; an empty one selects nothing.
fn map_selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A shell-style glob with `*` only.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

fn pods_of(objects: &[Object]) -> Vec<Pods<'_>> {
    let mut pods = Vec::new();
    for object in objects {
        let mut templates = Vec::new();
        match object {
            Object::PyTorchJob(job) => {
                for (role, replica) in &job.spec.pytorch_replica_specs {
                    templates.push((
                        format!("spec.pytorchReplicaSpecs.{role}.template"),
                        &replica.template,
                    ));
                }
            }
            Object::CronJob(_) => {
                if let Some(template) = object.workload().and_then(|w| w.pod_template()) {
                    templates.push(("spec.jobTemplate.spec.template".to_string(), template));
                }
            }
            _ => {
                if let Some(template) = object.workload().and_then(|w| w.pod_template()) {
                    templates.push(("spec.template".to_string(), template));
                }
            }
        }
        if !templates.is_empty() {
            pods.push(Pods {
                id: NodeId::new(object.kind(), object.namespace(), object.name()),
                namespace: object.namespace(),
                name: object.name(),
                templates,
            });
        }
    }
    pods
}

/// The object store an address names: `s3://bucket/path` → `s3://bucket`.
fn store_of(value: &str) -> Option<String> {
    let (scheme, rest) = value.split_once("://")?;
    if !matches!(scheme, "s3" | "gs" | "az" | "abfs" | "wasbs") {
        return None;
    }
    let bucket = rest.split('/').next().unwrap_or_default();
    (!bucket.is_empty()).then(|| format!("{scheme}://{bucket}"))
}

/// Edges a pod template declares: volumes (claims read or written, ConfigMaps and Secrets
/// mounted), env and envFrom, the ServiceAccount, the PriorityClass, object stores named in
/// env.
fn pod_edges(b: &mut Builder, pods: &Pods<'_>) {
    let ns = pods.namespace;
    for (prefix, template) in &pods.templates {
        let Some(spec) = template.spec.as_ref() else {
            continue;
        };
        let prefix = format!("{prefix}.spec");
        volume_edges(b, pods, ns, &prefix, spec);
        let containers = spec
            .init_containers
            .iter()
            .flatten()
            .map(|c| ("initContainers", c))
            .chain(spec.containers.iter().map(|c| ("containers", c)));
        let mut counters: BTreeMap<&str, usize> = BTreeMap::new();
        for (list, container) in containers {
            let index = counters.entry(list).or_default();
            let at = format!("{prefix}.{list}[{index}]");
            *index += 1;
            for (e, env) in container.env.iter().flatten().enumerate() {
                let field = format!("{at}.env[{e}]");
                if let Some(from) = &env.value_from {
                    if let Some(key) = &from.config_map_key_ref {
                        let to = b.node("ConfigMap", ns, &key.name);
                        b.edge(&pods.id, &to, Relation::Env, &field);
                    }
                    if let Some(key) = &from.secret_key_ref {
                        let to = b.node("Secret", ns, &key.name);
                        b.edge(&pods.id, &to, Relation::Env, &field);
                    }
                }
                if let Some(store) = env.value.as_deref().and_then(store_of) {
                    let to = b.node("ObjectStore", "", &store);
                    let writes = (env.name.contains("DESTINATION") || env.name.contains("OUTPUT"))
                        && !pods.name.contains("restore");
                    let relation = if writes {
                        Relation::Writes
                    } else {
                        Relation::Reads
                    };
                    b.edge(&pods.id, &to, relation, &field);
                }
            }
            for (e, from) in container.env_from.iter().flatten().enumerate() {
                let field = format!("{at}.envFrom[{e}]");
                if let Some(source) = &from.config_map_ref {
                    let to = b.node("ConfigMap", ns, &source.name);
                    b.edge(&pods.id, &to, Relation::EnvFrom, &field);
                }
                if let Some(source) = &from.secret_ref {
                    let to = b.node("Secret", ns, &source.name);
                    b.edge(&pods.id, &to, Relation::EnvFrom, &field);
                }
            }
        }
        if let Some(account) = spec
            .service_account_name
            .as_deref()
            .filter(|a| !a.is_empty())
        {
            let to = b.node("ServiceAccount", ns, account);
            b.edge(
                &pods.id,
                &to,
                Relation::RunsAs,
                format!("{prefix}.serviceAccountName"),
            );
        }
        if let Some(class) = spec.priority_class_name.as_deref() {
            let to = b.node("PriorityClass", "", class);
            b.edge(
                &pods.id,
                &to,
                Relation::Priority,
                format!("{prefix}.priorityClassName"),
            );
        }
    }
}

fn volume_edges(b: &mut Builder, pods: &Pods<'_>, ns: &str, prefix: &str, spec: &PodSpec) {
    let all_containers = || {
        spec.init_containers
            .iter()
            .flatten()
            .chain(&spec.containers)
    };
    for (v, volume) in spec.volumes.iter().flatten().enumerate() {
        let field = format!("{prefix}.volumes[{v}]");
        if let Some(claim) = &volume.persistent_volume_claim {
            let mounts: Vec<_> = all_containers()
                .flat_map(|c| c.volume_mounts.iter().flatten())
                .filter(|m| m.name == volume.name)
                .collect();
            let writes =
                claim.read_only != Some(true) && mounts.iter().any(|m| m.read_only != Some(true));
            let to = b.node("PersistentVolumeClaim", ns, &claim.claim_name);
            let relation = if writes {
                Relation::Writes
            } else {
                Relation::Reads
            };
            b.edge(
                &pods.id,
                &to,
                relation,
                field.clone() + ".persistentVolumeClaim",
            );
        }
        if let Some(map) = &volume.config_map {
            let to = b.node("ConfigMap", ns, &map.name);
            b.edge(
                &pods.id,
                &to,
                Relation::Mounts,
                field.clone() + ".configMap",
            );
        }
        if let Some(secret) = &volume.secret
            && let Some(name) = &secret.secret_name
        {
            let to = b.node("Secret", ns, name);
            b.edge(&pods.id, &to, Relation::Mounts, field.clone() + ".secret");
        }
        if let Some(projected) = &volume.projected {
            for (s, source) in projected.sources.iter().flatten().enumerate() {
                let at = format!("{field}.projected.sources[{s}]");
                if let Some(map) = &source.config_map {
                    let to = b.node("ConfigMap", ns, &map.name);
                    b.edge(&pods.id, &to, Relation::Mounts, at.clone() + ".configMap");
                }
                if let Some(secret) = &source.secret {
                    let to = b.node("Secret", ns, &secret.name);
                    b.edge(&pods.id, &to, Relation::Mounts, at + ".secret");
                }
            }
        }
    }
}

/// The workloads of `pods` in `namespace` that `selector` selects.
fn selected<'p>(
    pods: &'p [Pods<'p>],
    namespace: &'p str,
    selector: &'p LabelSelector,
) -> impl Iterator<Item = &'p Pods<'p>> + 'p {
    pods.iter()
        .filter(move |p| p.namespace == namespace)
        .filter(move |p| p.labels().any(|labels| selects(selector, Some(labels))))
}

/// The id of a workload a scaler names by kind and name in `namespace`.
fn target(b: &mut Builder, kind: &str, namespace: &str, name: &str) -> NodeId {
    b.node(kind, namespace, name)
}

/// Metric nodes an expression reads, with `queries` edges from `from`.
fn query_edges(b: &mut Builder, from: &NodeId, expr: &str, field: &str) {
    let Ok(parsed) = promql::parse(expr) else {
        return;
    };
    for name in promql::metric_names(&parsed) {
        let metric = b.node("Metric", "", promql::family(&name));
        b.edge(from, &metric, Relation::Queries, field);
    }
}

/// Peers of a NetworkPolicy rule: namespaces, pods, ipBlocks.
fn peer_edges(
    b: &mut Builder,
    pods: &[Pods<'_>],
    policy: &NodeId,
    ns: &str,
    peers: &[k8s_openapi::api::networking::v1::NetworkPolicyPeer],
    relation: Relation,
    field: &str,
) {
    for (p, peer) in peers.iter().enumerate() {
        let at = format!("{field}[{p}]");
        if let Some(block) = &peer.ip_block {
            let to = b.node("IPBlock", "", &block.cidr);
            b.edge(policy, &to, relation, at.clone() + ".ipBlock");
        }
        match (&peer.namespace_selector, &peer.pod_selector) {
            (Some(namespaces), _) => {
                let name = namespaces
                    .match_labels
                    .as_ref()
                    .and_then(|l| l.get("kubernetes.io/metadata.name"))
                    .cloned();
                let to = match name {
                    Some(name) => b.node("Namespace", "", &name),
                    None if namespaces.match_labels.is_none()
                        && namespaces.match_expressions.is_none() =>
                    {
                        b.node("Namespace", "", "*")
                    }
                    None => {
                        let labels = namespaces
                            .match_labels
                            .iter()
                            .flatten()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(",");
                        b.node("Namespace", "", &format!("{{{labels}}}"))
                    }
                };
                b.edge(policy, &to, relation, at.clone() + ".namespaceSelector");
            }
            (None, Some(selector)) => {
                let matched: Vec<NodeId> =
                    selected(pods, ns, selector).map(|p| p.id.clone()).collect();
                if matched.is_empty() || selector == &LabelSelector::default() {
                    // `podSelector: {}`: every pod of the namespace.
                    let to = b.node("Namespace", "", ns);
                    b.edge(policy, &to, relation, at.clone() + ".podSelector");
                } else {
                    for to in matched {
                        b.edge(policy, &to, relation, at.clone() + ".podSelector");
                    }
                }
            }
            (None, None) => {}
        }
    }
}

/// The fluent.conf of a log collector: its `<source>` paths and `<match>` Elasticsearch.
fn fluentd_edges(b: &mut Builder, pods: &[Pods<'_>], collector: &NodeId, field: &str, conf: &str) {
    let mut in_elasticsearch = false;
    let (mut host, mut port) = (None, None);
    for line in conf.lines().map(str::trim) {
        if line.starts_with("<match") || line.starts_with("<store") {
            in_elasticsearch = false;
        }
        if line == "@type elasticsearch" || line == "@type elasticsearch_data_stream" {
            in_elasticsearch = true;
        }
        if let Some(path) = line.strip_prefix("path /var/log/containers/") {
            // <pod>_<namespace>_<container>-<id>.log
            let mut parts = path.trim_end_matches(".log").splitn(3, '_');
            let (pod_glob, ns_glob) = (parts.next().unwrap_or("*"), parts.next().unwrap_or("*"));
            for p in pods {
                if glob(ns_glob, p.namespace) && glob(pod_glob, &format!("{}-x", p.name)) {
                    b.edge(
                        collector,
                        &p.id,
                        Relation::CollectsLogs,
                        format!("{field} <source> path"),
                    );
                }
            }
        }
        if in_elasticsearch {
            if let Some(h) = line.strip_prefix("host ") {
                host = Some(h.trim().to_string());
            }
            if let Some(p) = line.strip_prefix("port ") {
                port = Some(p.trim().to_string());
            }
        }
    }
    if let Some(host) = host {
        let address = match port {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        let to = b.node("Elasticsearch", "", &address);
        b.edge(
            collector,
            &to,
            Relation::ShipsLogs,
            format!("{field} <match> host"),
        );
    }
}

/// Computes the relations model of `bundle`.
pub fn build(bundle: &Bundle) -> Graph {
    let mut b = Builder {
        nodes: BTreeMap::new(),
        edges: BTreeSet::new(),
    };
    for object in &bundle.objects {
        b.rendered(object);
    }
    let pods = pods_of(&bundle.objects);
    for p in &pods {
        pod_edges(&mut b, p);
    }
    // Who exports the slipway-serve metrics: the workloads a ServiceMonitor scrapes.
    let mut exporters: BTreeSet<NodeId> = BTreeSet::new();
    // Secrets granted to Gateways of a namespace: (namespace, secret, field).
    let mut granted: Vec<(String, NodeId, String)> = Vec::new();

    for object in &bundle.objects {
        let id = NodeId::new(object.kind(), object.namespace(), object.name());
        let ns = object.namespace();
        match object {
            Object::Service(service) => {
                let selector = service.spec.as_ref().and_then(|s| s.selector.as_ref());
                if let Some(selector) = selector {
                    for p in pods.iter().filter(|p| p.namespace == ns) {
                        if p.labels().any(|labels| map_selects(selector, labels)) {
                            b.edge(&id, &p.id, Relation::Selects, "spec.selector");
                        }
                    }
                }
            }
            Object::HorizontalPodAutoscaler(hpa) => {
                if let Some(spec) = &hpa.spec {
                    let to = target(
                        &mut b,
                        &spec.scale_target_ref.kind,
                        ns,
                        &spec.scale_target_ref.name,
                    );
                    b.edge(&id, &to, Relation::Scales, "spec.scaleTargetRef");
                }
            }
            Object::ScaledObject(scaled) => {
                let r = &scaled.spec.scale_target_ref;
                let to = target(&mut b, &r.kind, ns, &r.name);
                b.edge(&id, &to, Relation::Scales, "spec.scaleTargetRef");
                for (t, trigger) in scaled.spec.triggers.iter().enumerate() {
                    let field = format!("spec.triggers[{t}].metadata");
                    if let Some(query) = trigger.metadata.get("query") {
                        query_edges(&mut b, &id, query, &(field.clone() + ".query"));
                    }
                    if let Some(address) = trigger.metadata.get("serverAddress") {
                        let to = b.node("Prometheus", "", address);
                        b.edge(&id, &to, Relation::Queries, field + ".serverAddress");
                    }
                }
            }
            Object::VerticalPodAutoscaler(vpa) => {
                let r = &vpa.spec.target_ref;
                let to = target(&mut b, &r.kind, ns, &r.name);
                b.edge(&id, &to, Relation::Scales, "spec.targetRef");
            }
            Object::PodDisruptionBudget(pdb) => {
                if let Some(selector) = pdb.spec.as_ref().and_then(|s| s.selector.as_ref()) {
                    for p in selected(&pods, ns, selector) {
                        b.edge(&id, &p.id, Relation::Budgets, "spec.selector");
                    }
                }
            }
            Object::NetworkPolicy(policy) => {
                let Some(spec) = &policy.spec else { continue };
                let all = LabelSelector::default();
                let selector = spec.pod_selector.as_ref().unwrap_or(&all);
                for p in selected(&pods, ns, selector) {
                    b.edge(&id, &p.id, Relation::Guards, "spec.podSelector");
                }
                for (r, rule) in spec.ingress.iter().flatten().enumerate() {
                    let peers = rule.from.as_deref().unwrap_or_default();
                    peer_edges(
                        &mut b,
                        &pods,
                        &id,
                        ns,
                        peers,
                        Relation::Admits,
                        &format!("spec.ingress[{r}].from"),
                    );
                }
                for (r, rule) in spec.egress.iter().flatten().enumerate() {
                    let peers = rule.to.as_deref().unwrap_or_default();
                    peer_edges(
                        &mut b,
                        &pods,
                        &id,
                        ns,
                        peers,
                        Relation::AllowsEgress,
                        &format!("spec.egress[{r}].to"),
                    );
                }
            }
            Object::Ingress(ingress) => {
                let Some(spec) = &ingress.spec else { continue };
                if let Some(class) = &spec.ingress_class_name {
                    let to = b.node("IngressClass", "", class);
                    b.edge(&id, &to, Relation::AttachesTo, "spec.ingressClassName");
                }
                for (r, rule) in spec.rules.iter().flatten().enumerate() {
                    for (p, path) in rule.http.iter().flat_map(|h| &h.paths).enumerate() {
                        if let Some(service) = &path.backend.service {
                            let to = b.node("Service", ns, &service.name);
                            b.edge(
                                &id,
                                &to,
                                Relation::Routes,
                                format!("spec.rules[{r}].http.paths[{p}].backend.service"),
                            );
                        }
                    }
                }
                for (t, tls) in spec.tls.iter().flatten().enumerate() {
                    if let Some(secret) = &tls.secret_name {
                        let to = b.node("Secret", ns, secret);
                        b.edge(
                            &id,
                            &to,
                            Relation::TerminatesTls,
                            format!("spec.tls[{t}].secretName"),
                        );
                    }
                }
            }
            Object::HTTPRoute(route) => {
                for (p, parent) in route.spec.parent_refs.iter().enumerate() {
                    let to = b.node(
                        &parent.kind,
                        parent.namespace.as_deref().unwrap_or(ns),
                        &parent.name,
                    );
                    b.edge(
                        &id,
                        &to,
                        Relation::AttachesTo,
                        format!("spec.parentRefs[{p}]"),
                    );
                }
                for (r, rule) in route.spec.rules.iter().enumerate() {
                    for (k, backend) in rule.backend_refs.iter().enumerate() {
                        let to = b.node(&backend.kind, ns, &backend.name);
                        b.edge(
                            &id,
                            &to,
                            Relation::Routes,
                            format!("spec.rules[{r}].backendRefs[{k}]"),
                        );
                    }
                }
            }
            Object::ReferenceGrant(grant) => {
                for (t, to) in grant.spec.to.iter().enumerate() {
                    let Some(name) = &to.name else { continue };
                    let target = b.node(&to.kind, ns, name);
                    b.edge(&id, &target, Relation::Grants, format!("spec.to[{t}]"));
                    // A Gateway in a `from` namespace terminates TLS with the granted Secret
                    // (drawn once every HTTPRoute named its Gateway).
                    if to.kind == "Secret" {
                        for from in grant.spec.from.iter().filter(|f| f.kind == "Gateway") {
                            granted.push((
                                from.namespace.clone(),
                                target.clone(),
                                format!("ReferenceGrant/{}:spec.to[{t}]", object.name()),
                            ));
                        }
                    }
                }
            }
            Object::Certificate(certificate) => {
                let to = b.node("Secret", ns, &certificate.spec.secret_name);
                b.edge(&id, &to, Relation::Issues, "spec.secretName");
                let issuer = &certificate.spec.issuer_ref;
                let issuer_ns = if issuer.kind == "Issuer" { ns } else { "" };
                let to = b.node(&issuer.kind, issuer_ns, &issuer.name);
                b.edge(&id, &to, Relation::IssuedBy, "spec.issuerRef");
            }
            Object::Rollout(rollout) => {
                let strategy = &rollout.spec.strategy;
                let mut refs = Vec::new();
                if let Some(canary) = &strategy.canary {
                    if let Some(analysis) = &canary.analysis {
                        for (t, template) in analysis.templates.iter().enumerate() {
                            refs.push((
                                format!("spec.strategy.canary.analysis.templates[{t}]"),
                                &template.template_name,
                            ));
                        }
                    }
                    for (s, step) in canary.steps.iter().enumerate() {
                        let templates = step.analysis.iter().flat_map(|a| &a.templates);
                        for (t, template) in templates.enumerate() {
                            refs.push((
                                format!("spec.strategy.canary.steps[{s}].analysis.templates[{t}]"),
                                &template.template_name,
                            ));
                        }
                    }
                }
                if let Some(blue_green) = &strategy.blue_green {
                    let phases = [
                        ("prePromotionAnalysis", &blue_green.pre_promotion_analysis),
                        ("postPromotionAnalysis", &blue_green.post_promotion_analysis),
                    ];
                    for (phase, analysis) in phases {
                        for (t, template) in analysis.iter().flat_map(|a| &a.templates).enumerate()
                        {
                            refs.push((
                                format!("spec.strategy.blueGreen.{phase}.templates[{t}]"),
                                &template.template_name,
                            ));
                        }
                    }
                    let services = [
                        ("activeService", &blue_green.active_service),
                        ("previewService", &blue_green.preview_service),
                    ];
                    for (field, service) in services {
                        let to = b.node("Service", ns, service);
                        b.edge(
                            &id,
                            &to,
                            Relation::Routes,
                            format!("spec.strategy.blueGreen.{field}"),
                        );
                    }
                }
                for (field, template) in refs {
                    let from = b.node("AnalysisTemplate", ns, template);
                    b.edge(
                        &from,
                        &id,
                        Relation::Gates,
                        format!("Rollout/{}:{field}", object.name()),
                    );
                }
            }
            Object::AnalysisTemplate(template) => {
                for (m, metric) in template.spec.metrics.iter().enumerate() {
                    let field = format!("spec.metrics[{m}].provider.prometheus");
                    let prometheus = &metric.provider.prometheus;
                    query_edges(&mut b, &id, &prometheus.query, &(field.clone() + ".query"));
                    let to = b.node("Prometheus", "", &prometheus.address);
                    b.edge(&id, &to, Relation::Queries, field + ".address");
                }
            }
            Object::ServiceMonitor(monitor) => {
                let namespaces: Vec<&str> = match &monitor.spec.namespace_selector {
                    Some(selector) if !selector.match_names.is_empty() => {
                        selector.match_names.iter().map(String::as_str).collect()
                    }
                    _ => vec![ns],
                };
                for service in bundle
                    .objects
                    .iter()
                    .filter(|o| o.kind() == "Service" && namespaces.contains(&o.namespace()))
                {
                    if selects(&monitor.spec.selector, service.metadata().labels.as_ref()) {
                        let to = NodeId::new("Service", service.namespace(), service.name());
                        b.edge(&id, &to, Relation::Scrapes, "spec.selector");
                        if let Object::Service(s) = service
                            && let Some(selector) =
                                s.spec.as_ref().and_then(|s| s.selector.as_ref())
                        {
                            for p in pods.iter().filter(|p| p.namespace == service.namespace()) {
                                if p.labels().any(|labels| map_selects(selector, labels)) {
                                    exporters.insert(p.id.clone());
                                }
                            }
                        }
                    }
                }
            }
            Object::PrometheusRule(rule) => {
                for (g, group) in rule.spec.groups.iter().enumerate() {
                    for (r, alert) in group.rules.iter().enumerate() {
                        query_edges(
                            &mut b,
                            &id,
                            &alert.expr,
                            &format!("spec.groups[{g}].rules[{r}].expr"),
                        );
                    }
                }
            }
            Object::RoleBinding(binding) => {
                let to = b.node(
                    &binding.role_ref.kind,
                    if binding.role_ref.kind == "Role" {
                        ns
                    } else {
                        ""
                    },
                    &binding.role_ref.name,
                );
                b.edge(&id, &to, Relation::Binds, "roleRef");
                subject_edges(
                    &mut b,
                    &id,
                    ns,
                    binding.subjects.as_deref().unwrap_or_default(),
                );
            }
            Object::ClusterRoleBinding(binding) => {
                let to = b.node(&binding.role_ref.kind, "", &binding.role_ref.name);
                b.edge(&id, &to, Relation::Binds, "roleRef");
                subject_edges(
                    &mut b,
                    &id,
                    "",
                    binding.subjects.as_deref().unwrap_or_default(),
                );
            }
            Object::CronJob(_) => {
                let to = b.node("JobTemplate", ns, object.name());
                b.edge(&id, &to, Relation::Creates, "spec.jobTemplate");
            }
            Object::ConfigMap(map) => {
                let labels = map.metadata.labels.as_ref();
                if labels.is_some_and(|l| l.contains_key("grafana_dashboard")) {
                    let to = b.node("Grafana", "", "grafana");
                    b.edge(
                        &id,
                        &to,
                        Relation::Provisions,
                        "metadata.labels.grafana_dashboard",
                    );
                }
                if let Some(conf) = map.data.as_ref().and_then(|d| d.get("fluent.conf")) {
                    // The collectors that mount this configuration.
                    let collectors: Vec<NodeId> = b
                        .edges
                        .iter()
                        .filter(|e| e.to == id && e.relation == Relation::Mounts)
                        .map(|e| e.from.clone())
                        .collect();
                    for collector in collectors {
                        fluentd_edges(
                            &mut b,
                            &pods,
                            &collector,
                            &format!("ConfigMap/{}:data.fluent.conf", object.name()),
                            conf,
                        );
                    }
                }
            }
            Object::Application(application) => {
                let spec = &application.spec;
                let to = b.node("GitRepository", "", &spec.source.repo_url);
                b.edge(&id, &to, Relation::Pulls, "spec.source.repoURL");
                let to = b.node("Namespace", "", &spec.destination.namespace);
                b.edge(&id, &to, Relation::DeploysTo, "spec.destination.namespace");
                let project = b.node("AppProject", ns, &spec.project);
                b.edge(
                    &project,
                    &id,
                    Relation::Governs,
                    format!("Application/{}:spec.project", object.name()),
                );
                for synced in bundle
                    .objects
                    .iter()
                    .filter(|o| !matches!(o, Object::Application(_) | Object::AppProject(_)))
                {
                    let to = NodeId::new(synced.kind(), synced.namespace(), synced.name());
                    b.edge(&id, &to, Relation::Syncs, "spec.source.path");
                }
            }
            Object::AppProject(project) => {
                for (d, destination) in project.spec.destinations.iter().enumerate() {
                    let to = b.node("Namespace", "", &destination.namespace);
                    b.edge(
                        &id,
                        &to,
                        Relation::DeploysTo,
                        format!("spec.destinations[{d}].namespace"),
                    );
                }
                for (r, repo) in project.spec.source_repos.iter().enumerate() {
                    let to = b.node("GitRepository", "", repo);
                    b.edge(&id, &to, Relation::Pulls, format!("spec.sourceRepos[{r}]"));
                }
            }
            _ => {}
        }
    }

    for (namespace, secret, field) in granted {
        let gateways: Vec<NodeId> = b
            .nodes
            .values()
            .filter(|n| n.kind == "Gateway" && n.namespace == namespace)
            .map(|n| n.id.clone())
            .collect();
        for gateway in gateways {
            b.edge(&gateway, &secret, Relation::TerminatesTls, field.clone());
        }
    }
    // Who exports each metric that is queried.
    let metrics: Vec<(NodeId, String)> = b
        .nodes
        .values()
        .filter(|n| n.kind == "Metric")
        .map(|n| (n.id.clone(), n.name.clone()))
        .collect();
    for (metric, name) in metrics {
        if crate::contract::METRICS
            .iter()
            .any(|m| promql::family(m) == name || *m == name)
        {
            for exporter in &exporters {
                b.edge(
                    exporter,
                    &metric,
                    Relation::Exports,
                    "/metrics (slipway-serve)",
                );
            }
        } else if name.starts_with("kube_") {
            let from = b.node("Exporter", "", "kube-state-metrics");
            b.edge(&from, &metric, Relation::Exports, "/metrics");
        } else if name.starts_with("container_") {
            let from = b.node("Exporter", "", "kubelet-cadvisor");
            b.edge(&from, &metric, Relation::Exports, "/metrics/cadvisor");
        }
    }
    b.finish()
}

fn subject_edges(
    b: &mut Builder,
    binding: &NodeId,
    ns: &str,
    subjects: &[k8s_openapi::api::rbac::v1::Subject],
) {
    for (s, subject) in subjects.iter().enumerate() {
        let subject_ns = match subject.kind.as_str() {
            "ServiceAccount" => subject.namespace.as_deref().unwrap_or(ns),
            _ => "",
        };
        let to = b.node(&subject.kind, subject_ns, &subject.name);
        b.edge(binding, &to, Relation::Subject, format!("subjects[{s}]"));
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match_like_a_shell() {
        assert!(glob("ai-inference-*", "ai-inference-blue-x"));
        assert!(glob("*", "anything"));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("ai-*", "bi-x"));
        assert!(glob("fraud", "fraud"));
    }
}
