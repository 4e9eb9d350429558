//! The Kubernetes vocabulary every stage shares: names, label values, image references,
//! quantities and durations. It depends on nothing else in the crate.

pub mod cron;
pub mod duration;
pub mod image;
pub mod name;
pub mod quantity;
