//! The rules of the `rollout` section.

use crate::diagnostic::Diagnostic;
use crate::k8s::int_or_percent::IntOrPercent;
use crate::sections::AppSpec;
use crate::sections::Color;
use crate::sections::model::ModelSource;
use crate::sections::rollout::CanaryStep;
use crate::sections::serving::RuntimeSpec;

/// Reports [`ROLLOUT_VALUES`](ROLLOUT_VALUES).
pub(crate) fn check_rollout(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let rollout = &spec.spec.rollout;
    if let IntOrPercent::Percent(percent) = rollout.max_unavailable
        && percent > 100
    {
        out.push(
            Diagnostic::new(
                &ROLLOUT_VALUES,
                "spec.rollout.maxUnavailable",
                format!("maxUnavailable `{percent}%` is above 100%"),
            )
            .with_help("use a percentage from 0% to 100%"),
        );
    }
    if rollout.max_surge.is_zero() && rollout.max_unavailable.is_zero() {
        out.push(
            Diagnostic::new(
                &ROLLOUT_VALUES,
                "spec.rollout.maxSurge",
                "maxSurge and maxUnavailable are both 0: no update can make progress",
            )
            .with_help("set maxSurge to 1 or 25%"),
        );
    }
}

/// Reports [`ROLLOUT_STRATEGY`], [`CANARY_STEPS`] and [`CANARY_ANALYSIS`].
pub(crate) fn check_canary(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(canary) = &spec.spec.rollout.canary else {
        return;
    };
    if spec.spec.rollout.blue_green.is_some() {
        out.push(
            Diagnostic::new(
                &ROLLOUT_STRATEGY,
                "spec.rollout.canary",
                "rollout has both blueGreen and canary",
            )
            .with_help("choose one strategy"),
        );
    }
    let steps = |path: String, message: String, help: &str| {
        Diagnostic::new(&CANARY_STEPS, path, message).with_help(help)
    };
    if canary.steps.is_empty() {
        out.push(steps(
            "spec.rollout.canary.steps".into(),
            "the canary has no steps: the new version would take all traffic at once".into(),
            "e.g. `[{setWeight: 20}, {pause: {duration: 5m}}, {analysis: {}}, {setWeight: 50}]`",
        ));
    } else if !canary
        .steps
        .iter()
        .any(|s| matches!(s, CanaryStep::SetWeight(_)))
    {
        out.push(steps(
            "spec.rollout.canary.steps".into(),
            "the canary never sets a weight: the new version would take all traffic at once".into(),
            "add `setWeight` steps, e.g. `{setWeight: 20}`",
        ));
    }
    let mut previous = 0;
    for (i, step) in canary.steps.iter().enumerate() {
        match step {
            CanaryStep::SetWeight(weight) => {
                let path = format!("spec.rollout.canary.steps[{i}].setWeight");
                if !(1..=100).contains(weight) {
                    out.push(steps(
                        path,
                        format!("weight {weight} is not a percentage between 1 and 100"),
                        "e.g. 20",
                    ));
                } else if *weight <= previous {
                    out.push(steps(
                        path,
                        format!(
                            "weight {weight} does not increase on the previous weight {previous}"
                        ),
                        "weights rise step by step towards 100",
                    ));
                }
                previous = previous.max(*weight);
            }
            CanaryStep::Pause(_) | CanaryStep::Analysis(_) => {}
        }
    }
    let analysis = |path: &str, message: String, help: &str| {
        Diagnostic::new(&CANARY_ANALYSIS, path, message).with_help(help)
    };
    if !spec.spec.monitoring.enabled {
        out.push(analysis(
            "spec.rollout.canary",
            "the canary analysis has no metrics source: monitoring is off, so Prometheus scrapes no request metrics".into(),
            "turn `monitoring.enabled` back on",
        ));
    } else if !matches!(spec.spec.inference.runtime, RuntimeSpec::SlipwayServe(_)) {
        out.push(analysis(
            "spec.rollout.canary",
            "the canary analysis has no metrics source: a custom runtime does not export slipway-serve's request metrics".into(),
            "use the built-in runtime, or roll out with `maxSurge`/`maxUnavailable` or blue/green",
        ));
    }
    let settings = &canary.analysis;
    if settings.count < 1 || settings.failure_limit < 0 {
        out.push(analysis(
            "spec.rollout.canary.analysis",
            format!(
                "count is {} and failureLimit {}: count must be at least 1, failureLimit not negative",
                settings.count, settings.failure_limit
            ),
            "e.g. `count: 5, failureLimit: 0`",
        ));
    }
}

/// The shortest scale-down delay: the old pods must outlive the endpoint and load-balancer
/// updates that stop sending them requests.
pub const MIN_SCALE_DOWN_DELAY_SECONDS: i64 = 30;

/// Reports [`BLUE_GREEN_SCALE_DOWN_DELAY`] and [`BLUE_GREEN_ROLLOUTS`].
pub(crate) fn check_blue_green_switch(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(blue_green) = &spec.spec.rollout.blue_green else {
        return;
    };
    let delay = blue_green.scale_down_delay_seconds();
    if delay < MIN_SCALE_DOWN_DELAY_SECONDS {
        out.push(
            Diagnostic::new(
                &BLUE_GREEN_SCALE_DOWN_DELAY,
                "spec.rollout.blueGreen.scaleDownDelay",
                format!(
                    "scaleDownDelay `{}` is below {MIN_SCALE_DOWN_DELAY_SECONDS}s: the old pods stop while clients and load balancers still send them requests",
                    blue_green.scale_down_delay.as_str()
                ),
            )
            .with_help("use `30s` (the default) or more"),
        );
    }
    if !blue_green.rollouts() {
        return;
    }
    let rollouts = |path: &str, message: String, help: &str| {
        Diagnostic::new(&BLUE_GREEN_ROLLOUTS, path, message).with_help(help)
    };
    if !spec.spec.monitoring.enabled {
        out.push(rollouts(
            "spec.rollout.blueGreen.engine",
            "the promotion analysis has no metrics source: monitoring is off, so Prometheus scrapes no request metrics".into(),
            "turn `monitoring.enabled` back on, or use `engine: deployments`",
        ));
    } else if !matches!(spec.spec.inference.runtime, RuntimeSpec::SlipwayServe(_)) {
        out.push(rollouts(
            "spec.rollout.blueGreen.engine",
            "the promotion analysis has no metrics source: a custom runtime does not export slipway-serve's request metrics".into(),
            "use the built-in runtime, or `engine: deployments`",
        ));
    }
    if spec.spec.inference.service.external.is_some() {
        out.push(rollouts(
            "spec.inference.service.external",
            "the external Service would select the pods of both revisions: Argo Rollouts narrows only the active and the preview Service to one revision".into(),
            "expose the main Service instead (`inference.service.type: LoadBalancer`, or `exposure`), or use `engine: deployments`",
        ));
    }
    if blue_green.switching {
        out.push(rollouts(
            "spec.rollout.blueGreen.switching",
            "`switching` belongs to the two-Deployment switch: Argo Rollouts runs its own".into(),
            "remove `switching`",
        ));
    }
}

/// Reports [`MODEL_PATH_UNVERSIONED`](MODEL_PATH_UNVERSIONED)
/// and [`BLUE_GREEN_IDENTICAL`](BLUE_GREEN_IDENTICAL).
pub(crate) fn check_blue_green_models(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
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
                if !store
                    .uri
                    .contains(crate::sections::model::VERSION_PLACEHOLDER) =>
            {
                ("spec.model.source.objectStore.uri", store.uri.as_str())
            }
            _ if !model.is_versioned() => ("spec.model.path", model.path.as_str()),
            _ => return,
        };
        out.push(
            Diagnostic::new(
                &MODEL_PATH_UNVERSIONED,
                path,
                format!(
                    "blue serves model version `{blue}` and green `{green}`, but `{text}` has no `{{version}}`: both load the same file"
                ),
            )
            .with_help("put `{version}` where the version goes, e.g. `/models/{version}/model.onnx`"),
        );
    } else if blue_green.blue.image == blue_green.green.image
        && blue_green.idle_replicas > 0
        && !blue_green.rollouts()
    {
        out.push(
            Diagnostic::new(
                &BLUE_GREEN_IDENTICAL,
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

crate::diagnostic::codes! {
    BLUE_GREEN_SCALE_DOWN_DELAY {
        id: "blue-green-scale-down-delay",
        severity: Error,
        stage: Spec,
        what: "`rollout.blueGreen.scaleDownDelay` is shorter than 30 seconds.",
        why: "After a switch, kube-proxy, Ingress controllers and cloud load balancers take seconds to stop sending requests to the old pods, and clients keep connections open: old pods that stop sooner fail those requests. The delay is also the window in which a rollback is instant.",
        example: "`blueGreen: {scaleDownDelay: 5s}`",
        instead: "`blueGreen: {scaleDownDelay: 30s}` (the default) or more",
    }
    BLUE_GREEN_ROLLOUTS {
        id: "blue-green-rollouts",
        severity: Error,
        stage: Spec,
        what: "A blue/green on Argo Rollouts (`engine: rollouts`) needs its analysis metrics (monitoring on, the built-in runtime), no external Service beside the active one, and no `switching` (which drives the two-Deployment switch).",
        why: "The pre- and post-promotion analyses query the new revision's error ratio and p99 latency: with no series every analysis is inconclusive and every release stops before promotion. Argo Rollouts narrows only `activeService` and `previewService` to one revision, so a separate LoadBalancer Service would send production traffic to the unpromoted preview.",
        example: "`rollout: {blueGreen: {engine: rollouts, ...}}` with `inference: {service: {external: {port: 80}}}`",
        instead: "`inference: {service: {type: LoadBalancer}}` (the active Service itself), monitoring on, the built-in runtime",
    }
    ROLLOUT_VALUES {
        id: "rollout-values",
        severity: Error,
        stage: Spec,
        what: "Checks `rollout.maxSurge` and `rollout.maxUnavailable`: not both zero, and `maxUnavailable` at most 100%.",
        why: "The API server rejects a Deployment whose update could never make progress.",
        example: "`maxSurge: 0` with `maxUnavailable: 0`",
        instead: "`maxSurge: 25%` with `maxUnavailable: 0`",
    }
    MODEL_PATH_UNVERSIONED {
        id: "model-path-unversioned",
        severity: Error,
        stage: Spec,
        what: "The blue/green colors serve different model versions, but `model.path` (or `model.source.objectStore.uri`) has no `{version}`, so both load the same file.",
        why: "Each server reports the version it was told while loading the one file there is: a switch changes the reported version, not the model, and a rollback cannot go back to the old model.",
        example: "`model: {path: /models/model.onnx}` with `blue: {modelVersion: \"1\"}` and `green: {modelVersion: \"2\"}`",
        instead: "`model: {path: /models/{version}/model.onnx}` (the default), and for an object store\n`uri: s3://models/app/{version}/model.onnx`",
    }
    BLUE_GREEN_IDENTICAL {
        id: "blue-green-identical",
        severity: Error,
        stage: Spec,
        what: "Both blue/green colors run the same image and the same model version while the idle color runs (`idleReplicas` above 0).",
        why: "The idle color is paid for as the next release (checked through `<app>-preview`) or the rollback target; identical to the active one, it is neither: a switch or a rollback changes nothing that runs, and the spec suggests a way back that does not exist. An error rather than a warning because that false safety is the harm; the legitimate identical state (the first release, or a retired old color) is expressed by stopping the idle color with `idleReplicas: 0`.",
        example: "`blueGreen: {blue: {image: app:v2}, green: {image: app:v2}}` with one `model.version`",
        instead: "put the next release (a new `image` or `modelVersion`) in the idle color, check it through\nthe `<app>-preview` Service, then switch `active`; or set `idleReplicas: 0` while there is none",
    }
    ROLLOUT_STRATEGY {
        id: "rollout-strategy",
        severity: Error,
        stage: Spec,
        what: "`rollout.canary` and `rollout.blueGreen` are both set (with either blue/green engine).",
        why: "A workload is replaced one way: blue/green switches a Service between two Deployments or two revisions of one Rollout, a canary shifts pods of one Rollout; a Rollout has one strategy, and both at once has no meaning.",
        example: "`rollout: {blueGreen: {...}, canary: {steps: [...]}}`",
        instead: "one of them",
    }
    CANARY_STEPS {
        id: "canary-steps",
        severity: Error,
        stage: Spec,
        what: "Checks `rollout.canary.steps`: not empty, at least one `setWeight`, weights between 1 and 100 that only increase (pause durations are parsed at load time: `duration-syntax`).",
        why: "A canary without weights sends the new version all traffic at once; a weight that goes down, or above 100, is not a progressive rollout and Argo Rollouts rejects or misreads it.",
        example: "`canary: {steps: [{setWeight: 50}, {setWeight: 20}]}`",
        instead: "`canary: {steps: [{setWeight: 20}, {pause: {duration: 5m}}, {analysis: {}}, {setWeight: 50}]}`",
    }
    CANARY_ANALYSIS {
        id: "canary-analysis",
        severity: Error,
        stage: Spec,
        what: "A canary needs its metrics source: slipway-serve's metrics scraped by Prometheus (monitoring on, the built-in runtime); and valid analysis settings (`count` ≥ 1, `failureLimit` ≥ 0; `interval` and `initialDelay` are parsed at load time: `duration-syntax`).",
        why: "The analysis queries the error ratio and p99 latency of the new pods; with no series every measurement is inconclusive and every rollout stops half-way, or a broken version is promoted unmeasured.",
        example: "`monitoring: {enabled: false}` with `rollout: {canary: {...}}`",
        instead: "keep monitoring on (the default) with the built-in runtime",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::seed;
    use crate::sections::scheduling::GpuSpec;
    use crate::sections::serving::CustomRuntimeSpec;
    use crate::sections::serving::rules::check_runtime_gpu;

    fn run(spec: &AppSpec) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        check_runtime_gpu(spec, &mut out);
        check_blue_green_models(spec, &mut out);
        out.into_iter().map(|d| (d.id(), d.path)).collect()
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

    /// GIVEN blue/green specs; WHEN the switch rules run; THEN a delay under 30 s is an error,
    /// and under the `rollouts` engine so are an external Service, `switching`, and monitoring
    /// off.
    #[test]
    fn the_switch_needs_a_drain_delay_and_rollouts_its_metrics() {
        let ids = |spec: &AppSpec| {
            let mut out = Vec::new();
            check_blue_green_switch(spec, &mut out);
            out.into_iter()
                .map(|d| (d.id(), d.path))
                .collect::<Vec<_>>()
        };
        let mut spec = seed();
        assert!(ids(&spec).is_empty());
        let bg = spec.spec.rollout.blue_green.as_mut().unwrap();
        bg.scale_down_delay = "10s".parse().unwrap();
        assert_eq!(
            ids(&spec),
            [(
                "blue-green-scale-down-delay",
                "spec.rollout.blueGreen.scaleDownDelay".into()
            )]
        );
        let bg = spec.spec.rollout.blue_green.as_mut().unwrap();
        bg.scale_down_delay = "30s".parse().unwrap();
        bg.engine = crate::sections::rollout::BlueGreenEngine::Rollouts;
        bg.switching = true;
        spec.spec.monitoring.enabled = false;
        // The seed has an external LoadBalancer Service.
        assert_eq!(
            ids(&spec),
            [
                (
                    "blue-green-rollouts",
                    "spec.rollout.blueGreen.engine".into()
                ),
                (
                    "blue-green-rollouts",
                    "spec.inference.service.external".into()
                ),
                (
                    "blue-green-rollouts",
                    "spec.rollout.blueGreen.switching".into()
                ),
            ]
        );
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
