//! The relations model of a bundle, computed once: typed nodes (every rendered object, and the
//! outside things the objects depend on: the Gateway, Secrets cert-manager writes, the object
//! store, Elasticsearch, Prometheus, Grafana, the git repository, namespaces and ipBlocks a
//! NetworkPolicy admits, the metrics PromQL reads) and typed edges, each naming its
//! [`Relation`] and the field it comes from.
//!
//! `slipway graph` draws it ([`render`]: JSON, Graphviz, Mermaid, SVG, one self-contained
//! HTML page); system rules can ask it questions instead of walking objects each on their own:
//!
//! ```
//! use slipway_core::graph::{self, NodeId, Relation};
//! use slipway_core::spec::{AppSpec, ModelSource, VolumeClaim};
//!
//! let bundle = slipway_core::compile(&AppSpec::new("demo", ModelSource::Pvc(VolumeClaim::new("models"))));
//! let graph = graph::of(&bundle, &[]);
//! let service = NodeId::new("Service", "demo", "demo");
//! let selected: Vec<_> = graph.edges_from(&service, Relation::Selects).map(|e| e.to.as_str()).collect();
//! assert_eq!(selected, ["Deployment/demo/demo"]);
//! let claim = NodeId::new("PersistentVolumeClaim", "demo", "models");
//! assert_eq!(graph.edges_to(&claim, Relation::Reads).count(), 1); // the server reads the model
//! ```
//!
//! Only the pipeline's callers (the CLI) import this module; it imports the bundle, the
//! diagnostics, PromQL and the renderer of single objects, never a stage above them.

mod build;
mod layout;
mod marks;
mod model;
pub mod render;

pub use build::build;
pub use model::{Edge, Graph, Mark, Node, NodeId, Origin, Relation};

use crate::bundle::Bundle;
use crate::diagnostic::Diagnostic;

/// The model of `bundle` with `diagnostics` placed on the nodes they concern.
pub fn of(bundle: &Bundle, diagnostics: &[Diagnostic]) -> Graph {
    let mut graph = build(bundle);
    marks::place(&mut graph, diagnostics);
    graph
}
