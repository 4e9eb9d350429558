//! `slipway graph` end to end: every rendered object is a node, the relations the example
//! specs' objects have are edges, Graphviz accepts the DOT, the SVG has one node group per
//! node, a system rule that fires is marked on the picture of an invalid spec (golden), output
//! is byte-identical from run to run, and bad input writes nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use slipway_core::Pipeline;
use slipway_core::compile::Scope;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn slipway(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slipway"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("slipway runs")
}

/// Draws `spec` into `dir/name` and returns the exit code and the file's text.
fn graph(spec: &str, dir: &Path, name: &str) -> (Option<i32>, String) {
    let out = dir.join(name);
    let output = slipway(&["graph", spec, "-o", out.to_str().unwrap()]);
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    (output.status.code(), text)
}

fn json_graph(spec: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let (code, text) = graph(spec, dir.path(), "graph.json");
    assert_eq!(code, Some(0), "{spec} draws");
    serde_json::from_str(&text).unwrap()
}

fn edges(graph: &Value) -> BTreeSet<(String, String, String)> {
    graph["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap().to_string(),
                e["relation"].as_str().unwrap().to_string(),
                e["to"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every object `slipway render -o` writes for `spec` is a rendered node.
fn assert_every_object_is_a_node(spec: &str, graph: &Value) {
    let text = std::fs::read_to_string(root().join(spec)).unwrap();
    let compiled = Pipeline::new(spec, &text)
        .scope(Scope::Full)
        .partials(std::collections::BTreeMap::<String, String>::new())
        .run()
        .unwrap();
    let nodes: BTreeSet<(String, String)> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().to_string(),
                n["origin"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(!compiled.bundle.objects.is_empty());
    for object in &compiled.bundle.objects {
        let id = format!("{}/{}/{}", object.kind(), object.namespace(), object.name());
        assert!(
            nodes.contains(&(id.clone(), "rendered".to_string())),
            "{spec}: {id} is not a rendered node"
        );
    }
    let rendered = nodes.iter().filter(|(_, o)| o == "rendered").count();
    assert_eq!(
        rendered,
        compiled.bundle.objects.len(),
        "{spec}: one node per object"
    );
}

fn assert_edges(spec: &str, graph: &Value, expected: &[(&str, &str, &str)]) {
    let edges = edges(graph);
    for (from, relation, to) in expected {
        let edge = (from.to_string(), relation.to_string(), to.to_string());
        assert!(
            edges.contains(&edge),
            "{spec}: no edge {from} -{relation}-> {to}"
        );
    }
    for edge in graph["edges"].as_array().unwrap() {
        assert!(
            !edge["field"].as_str().unwrap().is_empty(),
            "{edge}: no field"
        );
    }
}

#[test]
fn the_seed_is_drawn_with_its_relations() {
    let spec = "specs/seed-article.yaml";
    let graph = json_graph(spec);
    assert_every_object_is_a_node(spec, &graph);
    let ns = "ai-applications";
    let d = |name: &str| format!("Deployment/{ns}/{name}");
    let blue = d("ai-inference-blue");
    let green = d("ai-inference-green");
    let expected: Vec<(String, &str, String)> = vec![
        (
            format!("Service/{ns}/ai-inference"),
            "selects",
            green.clone(),
        ),
        (
            format!("Service/{ns}/ai-inference-preview"),
            "selects",
            blue.clone(),
        ),
        (
            format!("HorizontalPodAutoscaler/{ns}/ai-inference-green"),
            "scales",
            green.clone(),
        ),
        (
            format!("VerticalPodAutoscaler/{ns}/ai-inference-blue"),
            "scales",
            blue.clone(),
        ),
        (
            format!("PodDisruptionBudget/{ns}/ai-inference-blue"),
            "budgets",
            blue.clone(),
        ),
        (
            format!("NetworkPolicy/{ns}/ai-inference"),
            "guards",
            green.clone(),
        ),
        (
            format!("NetworkPolicy/{ns}/ai-inference"),
            "admits",
            "Namespace//monitoring".into(),
        ),
        (
            format!("NetworkPolicy/{ns}/ai-inference"),
            "admits",
            "IPBlock//0.0.0.0/0".into(),
        ),
        (
            format!("ServiceMonitor/{ns}/ai-inference"),
            "scrapes",
            format!("Service/{ns}/ai-inference-metrics"),
        ),
        (
            format!("PrometheusRule/{ns}/ai-inference-alerts"),
            "queries",
            "Metric//slipway_http_requests_total".into(),
        ),
        (
            blue.clone(),
            "exports",
            "Metric//slipway_http_requests_total".into(),
        ),
        (
            "Exporter//kube-state-metrics".into(),
            "exports",
            "Metric//kube_job_failed".into(),
        ),
        // The model flow: training writes the claim the servers read.
        (
            format!("Job/{ns}/ai-inference-training"),
            "writes",
            format!("PersistentVolumeClaim/{ns}/model-store"),
        ),
        (
            green.clone(),
            "reads",
            format!("PersistentVolumeClaim/{ns}/model-store"),
        ),
        // Backup: claim → store.
        (
            format!("CronJob/{ns}/ai-inference-backup"),
            "reads",
            format!("PersistentVolumeClaim/{ns}/model-store"),
        ),
        (
            format!("CronJob/{ns}/ai-inference-backup"),
            "writes",
            "ObjectStore//s3://ai-model-backup".into(),
        ),
        (
            format!("CronJob/{ns}/ai-inference-backup"),
            "creates",
            format!("JobTemplate/{ns}/ai-inference-backup"),
        ),
        (
            format!("CronJob/{ns}/ai-inference-backup"),
            "env",
            format!("Secret/{ns}/aws-backup-credentials"),
        ),
        (
            blue.clone(),
            "runs-as",
            format!("ServiceAccount/{ns}/ai-inference"),
        ),
        (
            blue.clone(),
            "priority",
            "PriorityClass//ai-high-priority".into(),
        ),
        (
            format!("RoleBinding/{ns}/ai-inference-deployer"),
            "binds",
            format!("Role/{ns}/ai-inference-deployer"),
        ),
        (
            "ClusterRoleBinding//ai-inference-fluentd".into(),
            "subject",
            "ServiceAccount/ai-inference-logging/ai-inference-fluentd".into(),
        ),
        (
            "DaemonSet/ai-inference-logging/ai-inference-fluentd".into(),
            "mounts",
            "ConfigMap/ai-inference-logging/ai-inference-fluentd".into(),
        ),
        (
            "DaemonSet/ai-inference-logging/ai-inference-fluentd".into(),
            "collects-logs",
            green.clone(),
        ),
        (
            "DaemonSet/ai-inference-logging/ai-inference-fluentd".into(),
            "ships-logs",
            "Elasticsearch//elasticsearch-service:9200".into(),
        ),
        (
            format!("ConfigMap/{ns}/ai-inference-dashboard"),
            "provisions",
            "Grafana//grafana".into(),
        ),
        (
            "Application/argocd/ai-inference".into(),
            "syncs",
            green.clone(),
        ),
        (
            "Application/argocd/ai-inference".into(),
            "pulls",
            "GitRepository//https://github.com/mycompany/ai-app.git".into(),
        ),
        (
            "AppProject/argocd/ai-inference".into(),
            "governs",
            "Application/argocd/ai-inference".into(),
        ),
        (
            "AppProject/argocd/ai-inference".into(),
            "deploys-to",
            "Namespace//ai-inference-logging".into(),
        ),
    ];
    let expected: Vec<(&str, &str, &str)> = expected
        .iter()
        .map(|(f, r, t)| (f.as_str(), *r, t.as_str()))
        .collect();
    assert_edges(spec, &graph, &expected);
    // Blue/green: the main Service selects one color only.
    let main: Vec<_> = edges(&graph)
        .into_iter()
        .filter(|(f, r, _)| f == "Service/ai-applications/ai-inference" && r == "selects")
        .collect();
    assert_eq!(main.len(), 1, "{main:?}");
}

#[test]
fn production_is_drawn_with_rollout_keda_route_certificate_and_pytorchjob() {
    let spec = "specs/production.yaml";
    let graph = json_graph(spec);
    assert_every_object_is_a_node(spec, &graph);
    assert_edges(
        spec,
        &graph,
        &[
            (
                "Service/fraud/fraud-scoring",
                "selects",
                "Rollout/fraud/fraud-scoring",
            ),
            (
                "ScaledObject/fraud/fraud-scoring",
                "scales",
                "Rollout/fraud/fraud-scoring",
            ),
            (
                "ScaledObject/fraud/fraud-scoring",
                "queries",
                "Metric//slipway_http_requests_in_flight",
            ),
            (
                "HTTPRoute/fraud/fraud-scoring",
                "routes",
                "Service/fraud/fraud-scoring",
            ),
            (
                "HTTPRoute/fraud/fraud-scoring",
                "attaches-to",
                "Gateway/gateway-system/public",
            ),
            (
                "Certificate/fraud/fraud-scoring",
                "issues",
                "Secret/fraud/fraud-scoring-tls",
            ),
            (
                "Gateway/gateway-system/public",
                "terminates-tls",
                "Secret/fraud/fraud-scoring-tls",
            ),
            (
                "ReferenceGrant/fraud/fraud-scoring-tls",
                "grants",
                "Secret/fraud/fraud-scoring-tls",
            ),
            (
                "AnalysisTemplate/fraud/fraud-scoring-canary",
                "gates",
                "Rollout/fraud/fraud-scoring",
            ),
            (
                "AnalysisTemplate/fraud/fraud-scoring-canary",
                "queries",
                "Metric//slipway_http_requests_total",
            ),
            (
                "PyTorchJob/fraud/fraud-scoring-training",
                "writes",
                "PersistentVolumeClaim/fraud/fraud-model-output",
            ),
            (
                "PyTorchJob/fraud/fraud-scoring-training",
                "reads",
                "PersistentVolumeClaim/fraud/fraud-training-data",
            ),
            (
                "Rollout/fraud/fraud-scoring",
                "exports",
                "Metric//slipway_http_requests_total",
            ),
            (
                "PodDisruptionBudget/fraud/fraud-scoring",
                "budgets",
                "Rollout/fraud/fraud-scoring",
            ),
        ],
    );
}

#[test]
fn every_format_is_deterministic_and_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "specs/production.yaml";
    let graph_json: Value = serde_json::from_str(&graph(spec, dir.path(), "a.json").1).unwrap();
    let nodes = graph_json["nodes"].as_array().unwrap().len();
    for extension in ["json", "dot", "mmd", "svg", "html"] {
        let (code, first) = graph(spec, dir.path(), &format!("1.{extension}"));
        assert_eq!(code, Some(0));
        let (_, second) = graph(spec, dir.path(), &format!("2.{extension}"));
        assert!(!first.is_empty());
        assert_eq!(first, second, ".{extension} is byte-identical");
    }
    let svg = std::fs::read_to_string(dir.path().join("1.svg")).unwrap();
    assert_eq!(
        svg.matches(" data-id=\"").count(),
        nodes,
        "one group per node"
    );
    let html = std::fs::read_to_string(dir.path().join("1.html")).unwrap();
    assert!(
        !html.contains("http://") || !html.contains("<script src"),
        "no fetched script"
    );
    assert!(
        !html.contains("<script src") && !html.contains("<link "),
        "self-contained"
    );
    // Graphviz accepts the DOT, when it is installed (CI installs it).
    match Command::new("dot").arg("-V").output() {
        Ok(_) => {
            let status = Command::new("dot")
                .args(["-Tsvg", "-o"])
                .arg(dir.path().join("dot.svg"))
                .arg(dir.path().join("1.dot"))
                .status()
                .unwrap();
            assert!(status.success(), "dot rejects the graph");
        }
        Err(_) => eprintln!("skipped: Graphviz `dot` is not installed (apt-get install graphviz)"),
    }
    // --format wins over the extension.
    let out = dir.path().join("graph.txt");
    let output = slipway(&[
        "graph",
        spec,
        "-o",
        out.to_str().unwrap(),
        "--format",
        "mmd",
    ]);
    assert!(output.status.success());
    assert!(
        std::fs::read_to_string(out)
            .unwrap()
            .starts_with("flowchart LR\n")
    );
}

#[test]
fn a_system_rule_that_fires_is_marked_on_the_picture() {
    let dir = tempfile::tempdir().unwrap();
    let (code, mermaid) = graph(
        "specs/invalid/model-not-delivered.yaml",
        dir.path(),
        "g.mmd",
    );
    assert_eq!(code, Some(1), "a spec with errors exits 1");
    assert!(mermaid.contains("error: model-not-delivered"));
    assert!(mermaid.contains("class ") && mermaid.contains(" error\n"));
    insta::assert_snapshot!("graph_model_not_delivered_mmd", mermaid);
    let (_, json) = graph(
        "specs/invalid/job-ttl-under-self-heal.yaml",
        dir.path(),
        "g.json",
    );
    let json: Value = serde_json::from_str(&json).unwrap();
    let marked: Vec<&str> = json["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["diagnostics"].as_array().is_some_and(|d| !d.is_empty()))
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(marked, ["Job/trains-daily/trains-daily-training"]);
}

#[test]
fn bad_input_writes_nothing_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g.json");
    let output = slipway(&[
        "graph",
        "specs/invalid/bad-yaml.yaml",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        !out.exists(),
        "nothing written for a spec that does not compile"
    );
    let output = slipway(&[
        "graph",
        "specs/seed-article.yaml",
        "-o",
        dir.path().join("g.png").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot tell the format"));
    let output = slipway(&["graph", "specs/no-such.yaml", "-o", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read spec"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no temporary file left"
    );
}
