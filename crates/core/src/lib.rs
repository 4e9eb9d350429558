//! Slipway compiles one typed description of an AI application into validated Kubernetes
//! YAML, Prometheus-operator objects, a Grafana dashboard, a Fluentd configuration and Argo CD
//! Applications.
//!
//! The pipeline runs in one direction, with pure functions in the middle:
//! [`spec::load_str`] → [`validate::spec`] → [`compile::compile`] → [`render`].
#![warn(missing_docs)]

pub mod compile;
pub mod render;
pub mod spec;
pub mod template;
pub mod validate;
pub mod yaml;

pub use compile::{Bundle, Object, compile};
pub use spec::{AppSpec, LoadError, LoadedSpec, load_str};
pub use validate::{Diagnostic, Severity};
