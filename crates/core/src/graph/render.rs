//! Drawing the model: JSON, Graphviz DOT, Mermaid, SVG (laid out here, no Graphviz needed)
//! and one self-contained HTML page (no network: its script and style are embedded). Every
//! renderer is a pure function of the model: the same model gives the same bytes.

use std::fmt::Write as _;

use serde::Serialize;

use super::layout::{self, Layout, NODE_HEIGHT, NODE_WIDTH};
use super::model::{Graph, Node, Origin, Relation};
use crate::bundle::Bundle;
use crate::diagnostic::Severity;

/// An output format of `slipway graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Nodes and edges as JSON.
    Json,
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart (renders on GitHub).
    Mermaid,
    /// An SVG picture.
    Svg,
    /// One self-contained HTML page: pan/zoom, click a node for its YAML and diagnostics,
    /// filter by relation.
    Html,
}

impl Format {
    /// Every format, with its name and file extension.
    pub const ALL: &[(Format, &str, &str)] = &[
        (Format::Json, "json", "json"),
        (Format::Dot, "dot", "dot"),
        (Format::Mermaid, "mmd", "mmd"),
        (Format::Svg, "svg", "svg"),
        (Format::Html, "html", "html"),
    ];

    /// The format named `name` (`json`, `dot`, `mmd`, `svg`, `html`; also `mermaid`, `gv`,
    /// `htm`).
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "mermaid" => return Some(Format::Mermaid),
            "gv" => return Some(Format::Dot),
            "htm" => return Some(Format::Html),
            _ => {}
        }
        Self::ALL
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(format, _, _)| *format)
    }
}

/// The model in `format`; the HTML page also carries each rendered object's YAML from
/// `bundle`.
pub fn render(graph: &Graph, bundle: &Bundle, format: Format) -> String {
    match format {
        Format::Json => json(graph),
        Format::Dot => dot(graph),
        Format::Mermaid => mermaid(graph),
        Format::Svg => svg(graph),
        Format::Html => html(graph, bundle),
    }
}

/// Nodes and edges as pretty JSON (each edge `from`, `to`, `relation`, `field`).
pub fn json(graph: &Graph) -> String {
    let mut text = serde_json::to_string_pretty(graph).expect("the model serialises");
    text.push('\n');
    text
}

fn label(node: &Node) -> String {
    if node.namespace.is_empty() {
        format!("{}\n{}", node.kind, node.name)
    } else {
        format!("{}\n{}/{}", node.kind, node.namespace, node.name)
    }
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Graphviz DOT, left to right; nodes with an error are red, with a warning orange, outside
/// things dashed.
pub fn dot(graph: &Graph) -> String {
    let mut out = String::from(
        "digraph slipway {\n  rankdir=LR;\n  node [shape=box, style=\"rounded\", fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=8];\n",
    );
    for node in &graph.nodes {
        let mut attributes = vec![format!("label=\"{}\"", dot_escape(&label(node)))];
        let mut style = vec!["rounded"];
        if node.origin == Origin::External {
            style.push("dashed");
        }
        match node.severity() {
            Some(Severity::Error) => {
                attributes.push("color=\"#d32f2f\", penwidth=2".into());
            }
            Some(Severity::Warning) => {
                attributes.push("color=\"#f57c00\", penwidth=2".into());
            }
            None => {}
        }
        if !node.diagnostics.is_empty() {
            let tooltip = node
                .diagnostics
                .iter()
                .map(|m| format!("{}[{}]: {}", m.severity, m.code, m.message))
                .collect::<Vec<_>>()
                .join("\n");
            attributes.push(format!("tooltip=\"{}\"", dot_escape(&tooltip)));
        }
        attributes.push(format!("style=\"{}\"", style.join(",")));
        let _ = writeln!(
            out,
            "  \"{}\" [{}];",
            dot_escape(node.id.as_str()),
            attributes.join(", ")
        );
    }
    for edge in &graph.edges {
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\" [label=\"{}\", tooltip=\"{}\"];",
            dot_escape(edge.from.as_str()),
            dot_escape(edge.to.as_str()),
            edge.relation,
            dot_escape(&edge.field)
        );
    }
    out.push_str("}\n");
    out
}

fn mermaid_escape(text: &str) -> String {
    text.replace('&', "#amp;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
        .replace('`', "#96;")
}

/// A Mermaid flowchart: nodes `n0…` in id order, each labelled with its kind, name and the
/// codes of its diagnostics; the messages follow as comments.
pub fn mermaid(graph: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    for (i, node) in graph.nodes.iter().enumerate() {
        let mut text = format!(
            "{}<br/>{}",
            mermaid_escape(&node.kind),
            mermaid_escape(&node.name)
        );
        for mark in &node.diagnostics {
            let _ = write!(text, "<br/>{}: {}", mark.severity, mark.code);
        }
        let (open, close) = match node.origin {
            Origin::Rendered => ("[\"", "\"]"),
            Origin::External => ("([\"", "\"])"),
        };
        let _ = writeln!(out, "  n{i}{open}{text}{close}");
    }
    for edge in &graph.edges {
        let (Some(from), Some(to)) = (graph.index.get(&edge.from), graph.index.get(&edge.to))
        else {
            continue;
        };
        let _ = writeln!(out, "  n{from} -->|{}| n{to}", edge.relation);
    }
    out.push_str("  classDef error stroke:#d32f2f,stroke-width:3px,fill:#fdecea\n");
    out.push_str("  classDef warning stroke:#f57c00,stroke-width:3px,fill:#fff4e5\n");
    out.push_str("  classDef external stroke-dasharray:4 3\n");
    for (class, wanted) in [
        ("error", Some(Severity::Error)),
        ("warning", Some(Severity::Warning)),
    ] {
        let members: Vec<String> = graph
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.severity() == wanted)
            .map(|(i, _)| format!("n{i}"))
            .collect();
        if !members.is_empty() {
            let _ = writeln!(out, "  class {} {class}", members.join(","));
        }
    }
    let external: Vec<String> = graph
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.origin == Origin::External && n.severity().is_none())
        .map(|(i, _)| format!("n{i}"))
        .collect();
    if !external.is_empty() {
        let _ = writeln!(out, "  class {} external", external.join(","));
    }
    for (mark, node) in graph.marks() {
        let at = node.map(|n| n.id.as_str()).unwrap_or("(the spec)");
        let message = mark.message.replace('\n', " ");
        let _ = writeln!(
            out,
            "  %% {}[{}] {at} ({}): {message}",
            mark.severity, mark.code, mark.path
        );
    }
    out
}

/// Escapes text for XML content and attributes.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

/// The relation's colour in the pictures.
fn colour(relation: Relation) -> &'static str {
    use Relation::*;
    match relation {
        Selects | Routes | AttachesTo | Guards | Admits | AllowsEgress => "#1565c0",
        Scales | Budgets => "#6a1b9a",
        Reads | Writes => "#2e7d32",
        Scrapes | Queries | Exports | Gates => "#ef6c00",
        Issues | IssuedBy | TerminatesTls | Grants => "#00838f",
        Mounts | Env | EnvFrom | RunsAs | Priority | Binds | Subject | Creates => "#616161",
        CollectsLogs | ShipsLogs | Provisions => "#8d6e63",
        Syncs | Pulls | DeploysTo | Governs => "#9e9e9e",
    }
}

/// The SVG body: one `<g class="node">` per node (with `data-id`), one `<path class="edge">`
/// per edge (with `data-relation`).
fn svg_body(graph: &Graph, layout: &Layout) -> String {
    let mut out = String::new();
    out.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#757575\"/></marker></defs>\n");
    out.push_str("<g class=\"edges\">\n");
    for edge in &graph.edges {
        let (Some(&from), Some(&to)) = (graph.index.get(&edge.from), graph.index.get(&edge.to))
        else {
            continue;
        };
        let (fx, fy) = layout.positions[from];
        let (tx, ty) = layout.positions[to];
        let (x1, y1) = (fx + NODE_WIDTH, fy + NODE_HEIGHT / 2.0);
        let (x2, y2) = (tx, ty + NODE_HEIGHT / 2.0);
        let bend = ((x2 - x1).abs() / 2.0).max(60.0);
        let opacity = if edge.relation == Relation::Syncs {
            "0.15"
        } else {
            "0.8"
        };
        let _ = writeln!(
            out,
            "<path class=\"edge\" data-relation=\"{rel}\" data-from=\"{f}\" data-to=\"{t}\" d=\"M {x1:.1} {y1:.1} C {c1:.1} {y1:.1}, {c2:.1} {y2:.1}, {x2:.1} {y2:.1}\" fill=\"none\" stroke=\"{colour}\" stroke-opacity=\"{opacity}\" stroke-width=\"1.3\" marker-end=\"url(#arrow)\"><title>{rel}: {fe} → {te} ({field})</title></path>",
            rel = edge.relation,
            f = xml_escape(edge.from.as_str()),
            t = xml_escape(edge.to.as_str()),
            fe = xml_escape(edge.from.as_str()),
            te = xml_escape(edge.to.as_str()),
            field = xml_escape(&edge.field),
            c1 = x1 + bend,
            c2 = x2 - bend,
            colour = colour(edge.relation),
        );
    }
    out.push_str("</g>\n<g class=\"nodes\">\n");
    for (i, node) in graph.nodes.iter().enumerate() {
        let (x, y) = layout.positions[i];
        let (stroke, fill) = match node.severity() {
            Some(Severity::Error) => ("#d32f2f", "#fdecea"),
            Some(Severity::Warning) => ("#f57c00", "#fff4e5"),
            None if node.origin == Origin::External => ("#9e9e9e", "#fafafa"),
            None => ("#455a64", "#ffffff"),
        };
        let dash = if node.origin == Origin::External {
            " stroke-dasharray=\"5 3\""
        } else {
            ""
        };
        let state = match node.severity() {
            Some(Severity::Error) => " error",
            Some(Severity::Warning) => " warning",
            None => "",
        };
        let mut title = node.id.to_string();
        for mark in &node.diagnostics {
            let _ = write!(
                title,
                "\n{}[{}]: {}",
                mark.severity, mark.code, mark.message
            );
        }
        let name = if node.namespace.is_empty() {
            node.name.clone()
        } else {
            format!("{}/{}", node.namespace, node.name)
        };
        let _ = writeln!(
            out,
            "<g class=\"node{state}\" data-id=\"{id}\" transform=\"translate({x:.1},{y:.1})\"><title>{title}</title><rect width=\"{NODE_WIDTH}\" height=\"{NODE_HEIGHT}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{sw}\"{dash}/><text x=\"10\" y=\"18\" font-size=\"11\" font-weight=\"bold\" fill=\"#37474f\">{kind}{badge}</text><text x=\"10\" y=\"35\" font-size=\"11\" fill=\"#212121\">{name}</text></g>",
            id = xml_escape(node.id.as_str()),
            title = xml_escape(&title),
            sw = if state.is_empty() { "1.2" } else { "2.5" },
            kind = xml_escape(&node.kind),
            badge = match node.severity() {
                Some(Severity::Error) => " ✖",
                Some(Severity::Warning) => " ⚠",
                None => "",
            },
            name = xml_escape(&truncate(&name, 36)),
        );
    }
    out.push_str("</g>\n");
    out
}

/// A standalone SVG picture: well-formed XML, one `<g class="node">` per node.
pub fn svg(graph: &Graph) -> String {
    let layout = layout::layout(graph);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"Helvetica, Arial, sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n{}</svg>\n",
        svg_body(graph, &layout),
        w = layout.width,
        h = layout.height,
    )
}

/// What the HTML page's script reads: per node its YAML (rendered objects) and diagnostics.
#[derive(Serialize)]
struct PageData<'a> {
    nodes: Vec<PageNode<'a>>,
    relations: Vec<&'static str>,
    diagnostics: &'a [super::model::Mark],
}

#[derive(Serialize)]
struct PageNode<'a> {
    id: &'a str,
    kind: &'a str,
    name: &'a str,
    namespace: &'a str,
    external: bool,
    yaml: Option<String>,
    diagnostics: &'a [super::model::Mark],
    edges: Vec<[String; 4]>,
}

/// One self-contained HTML page: the SVG picture, the data, and the page's own script and
/// style (nothing fetched).
pub fn html(graph: &Graph, bundle: &Bundle) -> String {
    let layout = layout::layout(graph);
    let nodes = graph
        .nodes
        .iter()
        .map(|node| {
            let yaml = (node.origin == Origin::Rendered)
                .then(|| {
                    bundle.objects.iter().find(|o| {
                        o.kind() == node.kind
                            && o.namespace() == node.namespace
                            && o.name() == node.name
                    })
                })
                .flatten()
                .map(crate::render::object_yaml);
            let edges = graph
                .edges
                .iter()
                .filter(|e| e.from == node.id || e.to == node.id)
                .map(|e| {
                    [
                        e.from.to_string(),
                        e.relation.as_str().to_string(),
                        e.to.to_string(),
                        e.field.clone(),
                    ]
                })
                .collect();
            PageNode {
                id: node.id.as_str(),
                kind: &node.kind,
                name: &node.name,
                namespace: &node.namespace,
                external: node.origin == Origin::External,
                yaml,
                diagnostics: &node.diagnostics,
                edges,
            }
        })
        .collect();
    let data = PageData {
        nodes,
        relations: graph
            .relations()
            .into_iter()
            .map(Relation::as_str)
            .collect(),
        diagnostics: &graph.diagnostics,
    };
    // `</` cannot end the script element early once escaped.
    let data = serde_json::to_string(&data)
        .expect("the page data serialises")
        .replace("</", "<\\/")
        .replace("<!--", "<\\!--");
    let errors = graph
        .marks()
        .filter(|(m, _)| m.severity == Severity::Error)
        .count();
    let warnings = graph
        .marks()
        .filter(|(m, _)| m.severity == Severity::Warning)
        .count();
    let title = format!(
        "slipway graph: {} nodes, {} edges, {errors} errors, {warnings} warnings",
        graph.nodes.len(),
        graph.edges.len()
    );
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<style>\n{css}</style>\n</head>\n<body>\n<header><strong>{title}</strong><span id=\"filters\"></span><button id=\"fit\" type=\"button\">fit</button></header>\n<main>\n<div id=\"canvas\"><svg id=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"Helvetica, Arial, sans-serif\" data-width=\"{w:.0}\" data-height=\"{h:.0}\"><g id=\"viewport\">\n{body}</g></svg></div>\n<aside id=\"panel\"><p>Click a node for its YAML, relations and diagnostics. Drag to pan, wheel to zoom.</p><ul id=\"spec-diagnostics\"></ul></aside>\n</main>\n<script type=\"application/json\" id=\"data\">{data}</script>\n<script>\n{js}</script>\n</body>\n</html>\n",
        title = xml_escape(&title),
        css = include_str!("html/graph.css"),
        js = include_str!("html/graph.js"),
        body = svg_body(graph, &layout),
        w = layout.width,
        h = layout.height,
    )
}
