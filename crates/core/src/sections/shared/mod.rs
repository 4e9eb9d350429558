//! What several sections need from each other, below all of them: object metadata and the
//! `app.kubernetes.io/*` labels, pod building blocks (the restricted security contexts,
//! resources, service accounts), the pinned tool images, and the runtime's contract. Nothing here imports a section.

pub mod images;
pub mod labels;
pub mod pod;
pub mod runtime;
