//! Slipway compiles one typed description of an AI application into validated Kubernetes
//! YAML, Prometheus-operator objects, a Grafana dashboard, a Fluentd configuration and Argo CD
//! Applications.
//!
//! The pipeline runs in one direction, with pure functions in the middle (no I/O, clock,
//! randomness or environment reads: reading files is the caller's business):
//!
//! | stage | function | gives | errors |
//! | --- | --- | --- | --- |
//! | load | [`load_str`] (or build an [`AppSpec`] in code with [`AppSpec::new`]) | [`LoadedSpec`] | [`LoadError`] |
//! | validate | [`validate::spec`] (or [`validate::check`] for a spec built in code) | every [`Diagnostic`] | — |
//! | compile | [`compile()`] | a [`Bundle`] of typed [`Object`]s and files | — (infallible on a valid spec) |
//! | render | [`render::to_yaml`], [`render::to_files`] | YAML text, or path → text | — |
//!
//! ```
//! use slipway_core::{compile, load_str, render, validate};
//!
//! let text = "\
//! apiVersion: slipway.dev/v1alpha1
//! kind: AIApplication
//! metadata:
//!   name: sentiment
//! spec:
//!   model:
//!     existingVersions: ['1']
//!     source:
//!       pvc:
//!         claimName: sentiment-model
//!         create: false
//! ";
//! let loaded = load_str("sentiment.yaml", text).expect("the spec loads");
//! let diagnostics = validate::spec(&loaded);
//! assert!(!validate::has_errors(&diagnostics), "{}", slipway_core::diagnostic::render_all(&diagnostics, Some(text)));
//!
//! let bundle = compile(&loaded.spec);
//! let yaml = render::to_yaml(&bundle);
//! assert!(yaml.contains("kind: Deployment"));
//! let files = render::to_files(&bundle);
//! assert!(files.contains_key("deployment-sentiment.yaml"));
//! ```
//!
//! A spec that does not load says why, with file, line and column:
//!
//! ```
//! let error = slipway_core::load_str("bad.yaml", "apiVersion: slipway.dev/v1alpha1\n")
//!     .unwrap_err();
//! assert!(matches!(error, slipway_core::LoadError::Schema(_)));
//! assert!(error.render("apiVersion: slipway.dev/v1alpha1\n").contains("--> bad.yaml:"));
//! ```
//!
//! `examples/in_code.rs` builds a spec in code, adds a custom object to the bundle and renders
//! it: `cargo run -p slipway-core --example in_code`.
#![warn(missing_docs)]

pub mod bundle;
pub mod compile;
pub mod diagnostic;
pub mod graph;
pub mod k8s;
pub mod pipeline;
pub mod promql;
pub mod render;
pub mod sections;
pub mod spec;
pub mod template;
pub mod validate;
pub mod yaml;

pub use compile::{Bundle, CustomObject, Object, compile};
pub use diagnostic::{Diagnostic, Severity};
pub use pipeline::{Compiled, Failed, Pipeline};
/// What `slipway-serve` and the manifests agree on: endpoints, settings, metric names and log
/// fields (the `slipway-contract` crate).
pub use slipway_contract as contract;
pub use spec::{AppSpec, LoadError, LoadedSpec, load_str};
