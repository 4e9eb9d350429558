//! A deterministic layered layout (left to right) for the SVG and HTML pictures: each node's
//! column is the longest path to it (cycles broken at the smallest id), rows ordered by the
//! mean row of the node's predecessors, ties by id. `syncs` edges (an Application to every
//! object) do not shape the layout.

use std::collections::BTreeMap;

use super::model::{Graph, Relation};

/// Width of a node box, in pixels.
pub const NODE_WIDTH: f64 = 250.0;
/// Height of a node box.
pub const NODE_HEIGHT: f64 = 46.0;
const GAP_X: f64 = 140.0;
const GAP_Y: f64 = 18.0;
/// Margin around the picture.
pub const MARGIN: f64 = 20.0;

/// Where each node goes (top-left corner, by node index) and the picture's size.
pub struct Layout {
    /// Top-left corner of each node, indexed like `graph.nodes`.
    pub positions: Vec<(f64, f64)>,
    /// Width of the picture.
    pub width: f64,
    /// Height of the picture.
    pub height: f64,
}

/// Lays `graph` out.
pub fn layout(graph: &Graph) -> Layout {
    let n = graph.nodes.len();
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for edge in graph.edges.iter().filter(|e| e.relation != Relation::Syncs) {
        let (Some(&from), Some(&to)) = (graph.index.get(&edge.from), graph.index.get(&edge.to))
        else {
            continue;
        };
        if from != to && !succs[from].contains(&to) {
            succs[from].push(to);
            preds[to].push(from);
        }
    }
    // Kahn's algorithm; when only cycles remain, the smallest remaining index goes next.
    let mut indegree: Vec<usize> = preds.iter().map(Vec::len).collect();
    let mut rank = vec![0usize; n];
    let mut done = vec![false; n];
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&i| indegree[i] == 0).collect();
    for _ in 0..n {
        let next = match ready.pop_first() {
            Some(next) => next,
            None => (0..n).find(|&i| !done[i]).expect("a node is left"),
        };
        done[next] = true;
        for &to in &succs[next] {
            if done[to] {
                continue;
            }
            rank[to] = rank[to].max(rank[next] + 1);
            indegree[to] = indegree[to].saturating_sub(1);
            if indegree[to] == 0 {
                ready.insert(to);
            }
        }
    }
    let mut columns: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &r) in rank.iter().enumerate() {
        columns.entry(r).or_default().push(i);
    }
    let mut row = vec![0f64; n];
    let mut positions = vec![(0.0, 0.0); n];
    let mut height: f64 = 0.0;
    for (&r, members) in &mut columns {
        let key = |i: usize| {
            let placed: Vec<f64> = preds[i]
                .iter()
                .filter(|&&p| rank[p] < r)
                .map(|&p| row[p])
                .collect();
            if placed.is_empty() {
                f64::MAX
            } else {
                placed.iter().sum::<f64>() / placed.len() as f64
            }
        };
        let mut keyed: Vec<(f64, usize)> = members.iter().map(|&i| (key(i), i)).collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (position, (_, i)) in keyed.into_iter().enumerate() {
            row[i] = position as f64;
            let x = MARGIN + r as f64 * (NODE_WIDTH + GAP_X);
            let y = MARGIN + position as f64 * (NODE_HEIGHT + GAP_Y);
            positions[i] = (x, y);
            height = height.max(y + NODE_HEIGHT + MARGIN);
        }
    }
    let width = MARGIN * 2.0 + columns.len().max(1) as f64 * (NODE_WIDTH + GAP_X) - GAP_X;
    Layout {
        positions,
        width,
        height: height.max(MARGIN * 2.0),
    }
}
