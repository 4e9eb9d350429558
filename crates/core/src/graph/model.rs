//! The relations model's types: nodes (rendered objects and the outside things they depend
//! on), typed edges (relation + the field they come from), and the questions rules ask it.
//!
//! **Node ids** are `Kind/namespace/name`; a cluster-scoped object or an outside thing with
//! no namespace has an empty namespace: `Kind//name` (`Namespace//fraud`,
//! `ObjectStore//s3://ai-model-backup`). Ids are unique, and every list the model gives is
//! sorted by id, so the same bundle gives the same model, byte for byte.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::diagnostic::Severity;

/// A node's stable id: `Kind/namespace/name` (`Kind//name` when cluster-scoped).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct NodeId(String);

impl NodeId {
    /// The id of `kind` `name` in `namespace` (empty for cluster-scoped).
    pub fn new(kind: &str, namespace: &str, name: &str) -> Self {
        Self(format!("{kind}/{namespace}/{name}"))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a node comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// An object of the bundle.
    Rendered,
    /// Something outside the bundle an object depends on (a Gateway, a Secret cert-manager
    /// writes, an object store, Elasticsearch, Prometheus, the git repository, a metric…).
    External,
}

/// A diagnostic placed on a node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Mark {
    /// `error` or `warning`.
    #[serde(serialize_with = "severity_text")]
    pub severity: Severity,
    /// The diagnostic's id (`hpa-vpa-conflict`).
    pub code: &'static str,
    /// The spec field path the diagnostic names.
    pub path: String,
    /// The message.
    pub message: String,
}

fn severity_text<S: serde::Serializer>(
    severity: &Severity,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(severity)
}

/// One node of the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    /// The stable id.
    pub id: NodeId,
    /// `kind` (for outside things: `Gateway`, `Secret`, `ObjectStore`, `Elasticsearch`,
    /// `Prometheus`, `Grafana`, `GitRepository`, `IPBlock`, `Metric`, `Exporter`, …).
    pub kind: String,
    /// `metadata.namespace`, empty when cluster-scoped or outside any namespace.
    pub namespace: String,
    /// `metadata.name` (for outside things: their address or name).
    pub name: String,
    /// A rendered object or an outside thing.
    pub origin: Origin,
    /// Diagnostics that concern this node, sorted.
    pub diagnostics: Vec<Mark>,
}

impl Node {
    /// The worst severity among the node's diagnostics.
    pub fn severity(&self) -> Option<Severity> {
        if self
            .diagnostics
            .iter()
            .any(|m| m.severity == Severity::Error)
        {
            Some(Severity::Error)
        } else if self.diagnostics.is_empty() {
            None
        } else {
            Some(Severity::Warning)
        }
    }
}

macro_rules! relations {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        /// What an edge means, read `from` → `to`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Relation {
            $($(#[$doc])* $variant,)*
        }

        impl Relation {
            /// Every relation, in the order legends list them.
            pub const ALL: &[Relation] = &[$(Relation::$variant,)*];

            /// The relation's name in the outputs (kebab-case).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Relation::$variant => $text,)*
                }
            }
        }
    };
}

relations! {
    /// Service → the workload whose pods its selector selects.
    Selects = "selects",
    /// HPA, KEDA ScaledObject or VPA → the workload it scales.
    Scales = "scales",
    /// PodDisruptionBudget → the workload whose pods it protects.
    Budgets = "budgets",
    /// NetworkPolicy → the workload whose pods it guards.
    Guards = "guards",
    /// NetworkPolicy → a namespace, pods or an ipBlock its ingress rules admit.
    Admits = "admits",
    /// NetworkPolicy → a namespace, pods or an ipBlock its egress rules allow.
    AllowsEgress = "allows-egress",
    /// HTTPRoute or Ingress → the Service it sends traffic to.
    Routes = "routes",
    /// HTTPRoute → its parent Gateway; Ingress → its IngressClass.
    AttachesTo = "attaches-to",
    /// Certificate → the Secret cert-manager writes.
    Issues = "issues",
    /// Certificate → its issuer.
    IssuedBy = "issued-by",
    /// Gateway or Ingress → the Secret holding its TLS certificate (for a Gateway, through a
    /// ReferenceGrant).
    TerminatesTls = "terminates-tls",
    /// ReferenceGrant → the object it lets another namespace refer to.
    Grants = "grants",
    /// AnalysisTemplate → the Rollout whose steps it gates.
    Gates = "gates",
    /// ServiceMonitor → the Service whose endpoints Prometheus scrapes.
    Scrapes = "scrapes",
    /// PrometheusRule, AnalysisTemplate or ScaledObject → a metric its PromQL reads, or the
    /// Prometheus it asks.
    Queries = "queries",
    /// A workload or exporter → a metric it exports.
    Exports = "exports",
    /// A workload → a claim or object store it reads (a read-only mount; the model flow).
    Reads = "reads",
    /// A workload → a claim or object store it writes (a writable mount; the model flow).
    Writes = "writes",
    /// A workload → a ConfigMap or Secret mounted as a volume.
    Mounts = "mounts",
    /// A workload → a ConfigMap or Secret one of its env variables reads.
    Env = "env",
    /// A workload → a ConfigMap or Secret its containers load with envFrom.
    EnvFrom = "env-from",
    /// A workload → the ServiceAccount its pods run as.
    RunsAs = "runs-as",
    /// A workload → its PriorityClass.
    Priority = "priority",
    /// (Cluster)RoleBinding → the (Cluster)Role it grants.
    Binds = "binds",
    /// (Cluster)RoleBinding → a subject it grants the role to.
    Subject = "subject",
    /// CronJob → the Job template it creates Jobs from.
    Creates = "creates",
    /// The log collector → a workload whose container logs it tails.
    CollectsLogs = "collects-logs",
    /// The log collector → where it ships logs (Elasticsearch).
    ShipsLogs = "ships-logs",
    /// A dashboard ConfigMap → the Grafana that loads it.
    Provisions = "provisions",
    /// Argo CD Application → an object it syncs.
    Syncs = "syncs",
    /// Argo CD Application → the git repository it syncs from; AppProject → a repository it
    /// trusts.
    Pulls = "pulls",
    /// Argo CD Application → its destination namespace; AppProject → a namespace it allows.
    DeploysTo = "deploys-to",
    /// AppProject → an Application in the project.
    Governs = "governs",
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Relation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One typed edge.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Edge {
    /// The node the relation starts at.
    pub from: NodeId,
    /// The node it points to.
    pub to: NodeId,
    /// What it means.
    pub relation: Relation,
    /// The field it comes from: a path in the `from` object, or `Kind/name:path` when another
    /// object declares it (an AnalysisTemplate gates the Rollout that names it).
    pub field: String,
}

/// The relations model of one bundle: nodes by id, edges sorted, and the diagnostics no
/// node could carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Graph {
    /// Every node, sorted by id.
    pub nodes: Vec<Node>,
    /// Every edge, sorted and without duplicates.
    pub edges: Vec<Edge>,
    /// Diagnostics that concern no node of the model (a spec-wide problem).
    pub diagnostics: Vec<Mark>,
    #[serde(skip)]
    pub(crate) index: BTreeMap<NodeId, usize>,
    #[serde(skip)]
    pub(crate) out: BTreeMap<NodeId, Vec<usize>>,
    #[serde(skip)]
    pub(crate) incoming: BTreeMap<NodeId, Vec<usize>>,
}

impl Graph {
    /// The node with this id.
    pub fn node(&self, id: &NodeId) -> Option<&Node> {
        self.index.get(id).map(|&i| &self.nodes[i])
    }

    /// The node of `kind` `name` in `namespace`.
    pub fn find(&self, kind: &str, namespace: &str, name: &str) -> Option<&Node> {
        self.node(&NodeId::new(kind, namespace, name))
    }

    /// The edges leaving `node` with `relation`, sorted.
    ///
    /// A system rule asks e.g. "which workloads does this Service select?" with
    /// `graph.edges_from(&service, Relation::Selects)`.
    pub fn edges_from<'a>(
        &'a self,
        node: &NodeId,
        relation: Relation,
    ) -> impl Iterator<Item = &'a Edge> + 'a {
        self.out
            .get(node)
            .into_iter()
            .flatten()
            .map(|&i| &self.edges[i])
            .filter(move |edge| edge.relation == relation)
    }

    /// The edges arriving at `node` with `relation`, sorted: "who writes this claim?" is
    /// `graph.edges_to(&claim, Relation::Writes)`.
    pub fn edges_to<'a>(
        &'a self,
        node: &NodeId,
        relation: Relation,
    ) -> impl Iterator<Item = &'a Edge> + 'a {
        self.incoming
            .get(node)
            .into_iter()
            .flatten()
            .map(|&i| &self.edges[i])
            .filter(move |edge| edge.relation == relation)
    }

    /// The nodes of one kind, sorted by id.
    pub fn nodes_of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.nodes.iter().filter(move |node| node.kind == kind)
    }

    /// The relations that occur, in [`Relation::ALL`] order.
    pub fn relations(&self) -> Vec<Relation> {
        Relation::ALL
            .iter()
            .copied()
            .filter(|r| self.edges.iter().any(|e| e.relation == *r))
            .collect()
    }

    /// Every diagnostic of the model, on nodes or not.
    pub fn marks(&self) -> impl Iterator<Item = (&Mark, Option<&Node>)> {
        self.nodes
            .iter()
            .flat_map(|node| node.diagnostics.iter().map(move |m| (m, Some(node))))
            .chain(self.diagnostics.iter().map(|m| (m, None)))
    }

    /// Rebuilds the indexes after nodes or edges changed; sorts and deduplicates.
    pub(crate) fn reindex(&mut self) {
        self.nodes.sort_by(|a, b| a.id.cmp(&b.id));
        self.edges.sort();
        self.edges.dedup();
        self.index = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| (node.id.clone(), i))
            .collect();
        self.out.clear();
        self.incoming.clear();
        for (i, edge) in self.edges.iter().enumerate() {
            self.out.entry(edge.from.clone()).or_default().push(i);
            self.incoming.entry(edge.to.clone()).or_default().push(i);
        }
    }
}
