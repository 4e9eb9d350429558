//! The application as a whole: its metadata (name, namespace, labels) and the rules every section's names, labels, images and resources obey.

pub mod compile;
pub mod images;
pub mod names;
pub mod resources;

/// The `app` section: its compile step, rules and codes.
pub const SECTION: crate::sections::Section = crate::sections::Section {
    name: "app",
    compile: |i, b| b.objects.extend(compile::namespace(i.spec)),
    rules: &[
        names::check_names,
        names::check_labels,
        resources::check_requests_within_limits,
        images::check_images,
    ],
    codes: &[images::CODES, names::CODES, resources::CODES],
};
