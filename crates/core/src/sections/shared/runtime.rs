//! What `slipway-serve` (crates/runtime) really has: its settings, endpoints, metric names and
//! log fields. Manifests, alerts, the dashboard and the Fluentd parser use these names; the
//! runtime's tests check the server against them. They live in the `slipway-contract` crate,
//! which the server uses too, and are re-exported here unchanged.

pub use slipway_contract::*;
