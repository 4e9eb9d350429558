//! Model delivery and GPU honesty: the built-in runtime requests no GPU, and blue/green
//! colors differ in what they serve (so a switch switches something), each reading its own
//! file.

use crate::diagnostic::{Diagnostic, codes};
use crate::spec::{AppSpec, Color, ModelSource, RuntimeSpec};

/// Reports [`codes::BUILTIN_RUNTIME_GPU`](crate::diagnostic::codes::BUILTIN_RUNTIME_GPU).
pub(super) fn check_runtime_gpu(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let RuntimeSpec::SlipwayServe(_) = &spec.spec.inference.runtime else {
        return;
    };
    let Some(gpu) = &spec.spec.scheduling.gpu else {
        return;
    };
    if gpu.whole_count().is_some_and(|count| count > 0) {
        out.push(
            Diagnostic::new(
                &codes::BUILTIN_RUNTIME_GPU,
                "spec.scheduling.gpu.count",
                format!(
                    "the built-in runtime slipway-serve runs on the CPU, yet each inference pod requests {} {}",
                    gpu.count, gpu.resource_name
                ),
            )
            .with_help(
                "remove `scheduling.gpu.count` (keep `scheduling.gpu.resourceName` for `training.gpus`), \
                 or serve with a GPU runtime: `inference.runtime.custom`",
            ),
        );
    }
}

/// Reports [`codes::MODEL_PATH_UNVERSIONED`](crate::diagnostic::codes::MODEL_PATH_UNVERSIONED)
/// and [`codes::BLUE_GREEN_IDENTICAL`](crate::diagnostic::codes::BLUE_GREEN_IDENTICAL).
pub(super) fn check_blue_green_models(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(blue_green) = &spec.spec.rollout.blue_green else {
        return;
    };
    let model = &spec.spec.model;
    let version = |color: Color| {
        blue_green
            .slot(color)
            .model_version
            .as_deref()
            .unwrap_or(&model.version)
    };
    let (blue, green) = (version(Color::Blue), version(Color::Green));
    let idle = blue_green.active.other();
    let idle_path = |field: &str| format!("spec.rollout.blueGreen.{}.{field}", idle.as_str());
    if blue != green {
        let (path, text) = match &model.source {
            ModelSource::ObjectStore(store)
                if !store.uri.contains(crate::spec::VERSION_PLACEHOLDER) =>
            {
                ("spec.model.source.objectStore.uri", store.uri.as_str())
            }
            _ if !model.is_versioned() => ("spec.model.path", model.path.as_str()),
            _ => return,
        };
        out.push(
            Diagnostic::new(
                &codes::MODEL_PATH_UNVERSIONED,
                path,
                format!(
                    "blue serves model version `{blue}` and green `{green}`, but `{text}` has no `{{version}}`: both load the same file"
                ),
            )
            .with_help("put `{version}` where the version goes, e.g. `/models/{version}/model.onnx`"),
        );
    } else if blue_green.blue.image == blue_green.green.image && blue_green.idle_replicas > 0 {
        out.push(
            Diagnostic::new(
                &codes::BLUE_GREEN_IDENTICAL,
                idle_path("image"),
                format!(
                    "blue and green both run `{}` with model version `{blue}`: switching `active` changes nothing that runs",
                    blue_green.blue.image
                ),
            )
            .with_help(format!(
                "put the next release in the idle color ({}): a new `image` or `modelVersion`; \
                 or stop it with `rollout.blueGreen.idleReplicas: 0` while there is none",
                idle.as_str()
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::seed;
    use crate::spec::{CustomRuntimeSpec, GpuSpec};

    fn run(spec: &AppSpec) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        check_runtime_gpu(spec, &mut out);
        check_blue_green_models(spec, &mut out);
        out.into_iter().map(|d| (d.id, d.path)).collect()
    }

    #[test]
    fn the_seed_passes() {
        assert!(run(&seed()).is_empty());
    }

    #[test]
    fn gpus_for_the_builtin_runtime_are_an_error_but_a_custom_runtime_may_use_them() {
        let mut spec = seed();
        spec.spec.scheduling.gpu = Some(GpuSpec {
            count: 1.into(),
            resource_name: "nvidia.com/gpu".into(),
            tolerate_gpu_taint: true,
        });
        assert_eq!(
            run(&spec),
            [("builtin-runtime-gpu", "spec.scheduling.gpu.count".into())]
        );
        spec.spec.inference.runtime = RuntimeSpec::Custom(CustomRuntimeSpec {
            image: "example.com/triton:24.10".into(),
            command: Vec::new(),
            args: Vec::new(),
            metrics_path: None,
        });
        assert!(run(&spec).is_empty());
    }

    #[test]
    fn different_versions_need_a_versioned_path_and_identical_colors_warn() {
        let mut spec = seed();
        spec.spec.model.path = "/models/model.onnx".into();
        assert_eq!(
            run(&spec),
            [("model-path-unversioned", "spec.model.path".into())]
        );
        let mut spec = seed();
        let bg = spec.spec.rollout.blue_green.as_mut().unwrap();
        bg.blue = bg.green.clone();
        assert_eq!(
            run(&spec),
            [(
                "blue-green-identical",
                "spec.rollout.blueGreen.blue.image".into()
            )]
        );
        spec.spec.rollout.blue_green.as_mut().unwrap().idle_replicas = 0;
        assert!(
            run(&spec).is_empty(),
            "a stopped idle color is no false rollback"
        );
    }
}
