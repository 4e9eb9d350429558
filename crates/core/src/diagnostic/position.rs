//! Where each field of a YAML document stands: field path → line and column.
//!
//! serde gives values without positions, so the loader walks the document's parse events once
//! and records the position of every mapping key and sequence item. Diagnostics then ask for
//! the position of a field path (`spec.inference.replicas`); a path that is not in the file
//! (a missing field, a default) resolves to its nearest ancestor that is. A YAML error, which
//! knows a position but no path, asks the way back ([`PositionIndex::path_at`]).
//!
//! The events are `granit-parser`'s, the parser under serde-saphyr (the one YAML library of
//! [`crate::yaml`]), reached through serde-saphyr's re-export.

use std::collections::HashMap;
use std::fmt;

use serde_saphyr::granit_parser::{Event, Marker, Parser};

/// A position in a source file (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The positions of every field of one YAML document, keyed by dotted field path
/// (`spec.security.rbac[0].subjects[1].name`).
#[derive(Debug, Clone, Default)]
pub struct PositionIndex {
    positions: HashMap<String, Location>,
    /// Every key and item as met, in document order, duplicates included.
    order: Vec<(Location, String)>,
}

impl PositionIndex {
    /// Indexes `text`. Text that does not parse gives an empty index (the loader reports the
    /// syntax error itself).
    pub fn new(text: &str) -> Self {
        let mut builder = Builder::default();
        // A syntax error only stops the walk early: what was indexed so far stays usable. Only
        // the first document is indexed (a spec is one document).
        for event in Parser::new_from_str(text) {
            let Ok((event, span)) = event else { break };
            if matches!(event, Event::DocumentEnd) {
                break;
            }
            builder.on_event(event, span.start);
        }
        Self {
            positions: builder.positions,
            order: builder.order,
        }
    }

    /// The position of `path`, or of its nearest ancestor present in the file.
    ///
    /// ```
    /// use slipway_core::diagnostic::{Location, PositionIndex};
    ///
    /// let index = PositionIndex::new("spec:\n  inference:\n    replicas: 3\n");
    /// assert_eq!(index.locate("spec.inference.replicas"), Some(Location { line: 3, column: 5 }));
    /// // Not in the file: the nearest ancestor that is.
    /// assert_eq!(index.locate("spec.inference.port"), Some(Location { line: 2, column: 3 }));
    /// assert_eq!(index.exact("spec.inference.port"), None);
    /// ```
    pub fn locate(&self, path: &str) -> Option<Location> {
        let mut current = path;
        loop {
            if let Some(location) = self.positions.get(current) {
                return Some(*location);
            }
            current = parent(current)?;
        }
    }

    /// The position of `path` only if the file spells it out.
    pub fn exact(&self, path: &str) -> Option<Location> {
        self.positions.get(path).copied()
    }

    /// The field path of the last key or sequence item that starts at or before `location`:
    /// the field a parser error at `location` is about (a duplicate key is its own path).
    ///
    /// ```
    /// use slipway_core::diagnostic::{Location, PositionIndex};
    ///
    /// let index = PositionIndex::new("metadata:\n  name: a\n  name: b\nspec: {}\n");
    /// assert_eq!(index.path_at(Location { line: 3, column: 3 }), Some("metadata.name"));
    /// assert_eq!(index.path_at(Location { line: 3, column: 10 }), Some("metadata.name"));
    /// assert_eq!(index.path_at(Location { line: 4, column: 7 }), Some("spec"));
    /// ```
    pub fn path_at(&self, location: Location) -> Option<&str> {
        self.order
            .iter()
            .rev()
            .find(|(at, path)| *at <= location && !path.is_empty())
            .map(|(_, path)| path.as_str())
    }
}

/// `a.b[2]` → `a.b`, `a.b` → `a`, `a` → `` (the document), `` → none.
fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

/// Joins a field path and a key.
pub fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Joins a field path and a sequence index.
pub fn join_index(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

enum Frame {
    Map {
        path: String,
        key: Option<String>,
        /// A sequence item that is this mapping, placed at its first key (the parser puts the
        /// mapping's own start mark elsewhere).
        item: Option<String>,
    },
    Seq {
        path: String,
        next: usize,
    },
}

#[derive(Default)]
struct Builder {
    positions: HashMap<String, Location>,
    order: Vec<(Location, String)>,
    stack: Vec<Frame>,
}

impl Builder {
    fn record(&mut self, path: String, mark: Marker) {
        let location = Location {
            line: mark.line(),
            column: mark.col() + 1,
        };
        self.order.push((location, path.clone()));
        self.positions.entry(path).or_insert(location);
    }

    /// The path of the value that starts now, or `None` when a mapping key starts.
    fn value_path(&mut self) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Map { key: None, .. }) => None,
            Some(Frame::Map { path, key, .. }) => {
                let key = key.take().unwrap_or_default();
                Some(join_key(path, &key))
            }
            Some(Frame::Seq { path, next }) => {
                let item = join_index(path, *next);
                *next += 1;
                Some(item)
            }
        }
    }
}

impl Builder {
    fn on_event(&mut self, event: Event<'_>, mark: Marker) {
        match event {
            Event::Scalar(text, ..) => match self.value_path() {
                Some(path) => self.record(path, mark),
                None => {
                    // A mapping key: remember it and where it stands.
                    if let Some(Frame::Map { path, key, item }) = self.stack.last_mut() {
                        let field = join_key(path, &text);
                        *key = Some(text.into_owned());
                        let item = item.take();
                        self.record(field, mark);
                        if let Some(item) = item {
                            self.record(item, mark);
                        }
                    }
                }
            },
            Event::Alias(_) => {
                if let Some(path) = self.value_path() {
                    self.record(path, mark);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(event, Event::MappingStart(..));
                // A collection used as a mapping key is not addressable; index it as `?`.
                let path = self.value_path().unwrap_or_else(|| {
                    if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                        *key = Some("?".into());
                    }
                    "?".into()
                });
                let in_sequence = matches!(self.stack.last(), Some(Frame::Seq { .. }));
                if path.is_empty() || (in_sequence && !is_map) {
                    self.record(path.clone(), mark);
                }
                self.stack.push(if is_map {
                    let item = in_sequence.then(|| path.clone());
                    Frame::Map {
                        path,
                        key: None,
                        item,
                    }
                } else {
                    Frame::Seq { path, next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
apiVersion: slipway.dev/v1alpha1
metadata:
  name: demo
spec:
  inference:
    replicas: 3
  security:
    rbac:
      - preset: viewer
        subjects:
          - kind: User
            name: ai-dev-team
";

    #[test]
    fn keys_resolve_to_their_own_line_and_column() {
        let index = PositionIndex::new(DOC);
        assert_eq!(
            index.exact("spec.inference.replicas"),
            Some(Location { line: 6, column: 5 })
        );
        assert_eq!(
            index.exact("metadata.name"),
            Some(Location { line: 3, column: 3 })
        );
    }

    #[test]
    fn sequence_items_are_indexed() {
        let index = PositionIndex::new(DOC);
        assert_eq!(
            index.exact("spec.security.rbac[0].subjects[0].name"),
            Some(Location {
                line: 12,
                column: 13
            })
        );
        assert_eq!(
            index.exact("spec.security.rbac[0]"),
            Some(Location { line: 9, column: 9 })
        );
    }

    #[test]
    fn a_duplicate_key_keeps_the_first_position_and_is_found_by_its_own() {
        let index = PositionIndex::new("a:\n  b: 1\n  b: 2\nc:\n- x: 1\n  x: 2\n");
        assert_eq!(index.exact("a.b"), Some(Location { line: 2, column: 3 }));
        assert_eq!(index.path_at(Location { line: 3, column: 3 }), Some("a.b"));
        assert_eq!(
            index.path_at(Location { line: 6, column: 3 }),
            Some("c[0].x")
        );
        assert_eq!(index.path_at(Location { line: 1, column: 1 }), Some("a"));
        assert_eq!(
            PositionIndex::new("").path_at(Location { line: 1, column: 1 }),
            None
        );
    }

    #[test]
    fn a_broken_document_is_indexed_up_to_the_error() {
        let index = PositionIndex::new("spec:\n  a: 1\n  b: [1, 2\n");
        assert_eq!(index.exact("spec.a"), Some(Location { line: 2, column: 3 }));
        assert_eq!(
            index.path_at(Location { line: 3, column: 6 }),
            Some("spec.b")
        );
    }

    #[test]
    fn missing_fields_fall_back_to_the_nearest_ancestor() {
        let index = PositionIndex::new(DOC);
        assert_eq!(
            index.locate("spec.inference.port"),
            index.exact("spec.inference")
        );
        assert_eq!(index.locate("spec.gitops.repoURL"), index.exact("spec"));
    }
}
