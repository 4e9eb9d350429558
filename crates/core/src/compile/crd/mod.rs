//! Small typed structs for the custom-resource kinds Slipway emits, with only the fields it sets.

pub mod vpa;
