//! Image references: pinned tags or digests, never `latest`.

use crate::diagnostic::Diagnostic;

use crate::k8s::image::ImageTag;
use crate::k8s::image::tag_of;
use crate::sections::AppSpec;
use crate::sections::model::ModelSource;
use crate::sections::serving::RuntimeSpec;

/// Reports [`IMAGE_TAG`](IMAGE_TAG).
pub(super) fn check_images(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    for (path, image) in images(spec) {
        let problem = match tag_of(image) {
            ImageTag::Digest | ImageTag::Tag(_) => None,
            ImageTag::Latest => Some("uses the moving tag `latest`"),
            ImageTag::None => Some("has no tag, so it pulls `latest`"),
        };
        if let Some(problem) = problem {
            out.push(
                Diagnostic::new(&IMAGE_TAG, path, format!("image `{image}` {problem}"))
                    .with_help("pin a version tag (`:v1.0`) or a digest (`@sha256:…`)"),
            );
        }
    }
}

/// Every image of the spec with its field path.
pub fn images(spec: &AppSpec) -> Vec<(String, &str)> {
    let body = &spec.spec;
    let mut found = Vec::new();
    if let Some(blue_green) = &body.rollout.blue_green {
        found.push((
            "spec.rollout.blueGreen.blue.image".into(),
            blue_green.blue.image.as_str(),
        ));
        found.push((
            "spec.rollout.blueGreen.green.image".into(),
            blue_green.green.image.as_str(),
        ));
    } else {
        match &body.inference.runtime {
            RuntimeSpec::SlipwayServe(serve) => found.push((
                "spec.inference.runtime.slipwayServe.image".into(),
                serve.image.as_str(),
            )),
            RuntimeSpec::Custom(custom) => found.push((
                "spec.inference.runtime.custom.image".into(),
                custom.image.as_str(),
            )),
        }
    }
    if let Some(training) = &body.training {
        found.push(("spec.training.image".into(), training.image.as_str()));
    }
    if let ModelSource::ObjectStore(store) = &body.model.source
        && let Some(image) = &store.image
    {
        found.push(("spec.model.source.objectStore.image".into(), image.as_str()));
    }
    if let Some(backup) = &body.backup {
        found.push(("spec.backup.image".into(), backup.image.as_str()));
    }
    if let Some(logging) = &body.logging {
        found.push(("spec.logging.image".into(), logging.image.as_str()));
    }
    found
}

crate::diagnostic::codes! {
    IMAGE_TAG {
        id: "image-tag",
        severity: Warning,
        stage: Spec,
        what: "Warns about every image reference that is untagged or tagged `latest`.",
        why: "A moving tag makes two renders of the same spec run different code, defeats rollbacks and blue/green (both colors may pull the same new image), and hides what is in production.",
        example: "`image: mycompany/ai-model:latest`",
        instead: "`image: mycompany/ai-model:v1.0` or `image: mycompany/ai-model@sha256:…`",
    }
}
