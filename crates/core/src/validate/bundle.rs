//! Cross-object rules over a compiled [`Bundle`]: what no schema checks. Services select the
//! pods of exactly one workload and color, selectors match labels, named ports exist, pods
//! meet Pod Security "restricted", GPUs are requested as they are limited, autoscalers
//! target Deployments of the bundle, disruption budgets cover one workload each, and every
//! PromQL expression of the alerts and dashboards parses.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::bundle::Bundle;

use crate::bundle::Object;
use crate::diagnostic::Diagnostic;

/// A workload's pod template, with the workload's identity.
struct Pods<'a> {
    /// `Kind/name`.
    owner: String,
    namespace: &'a str,
    template: &'a PodTemplateSpec,
    /// The workload's own selector, when it has one.
    selector: Option<&'a BTreeMap<String, String>>,
}

fn pods(bundle: &Bundle) -> Vec<Pods<'_>> {
    let mut replicas = Vec::new();
    for object in &bundle.objects {
        // A PyTorchJob has one pod template per replica type.
        if let Object::PyTorchJob(job) = object {
            for (kind, replica) in &job.spec.pytorch_replica_specs {
                replicas.push(Pods {
                    owner: format!("PyTorchJob/{}[{kind}]", object.name()),
                    namespace: object.namespace(),
                    template: &replica.template,
                    selector: None,
                });
            }
        }
    }
    let workloads = bundle
        .objects
        .iter()
        .filter_map(|object| {
            let workload = object.workload()?;
            Some(Pods {
                owner: format!("{}/{}", object.kind(), object.name()),
                namespace: object.namespace(),
                template: workload.pod_template()?,
                selector: workload.selector_labels(),
            })
        })
        .collect::<Vec<_>>();
    workloads.into_iter().chain(replicas).collect()
}

fn selects(selector: &BTreeMap<String, String>, labels: Option<&BTreeMap<String, String>>) -> bool {
    let Some(labels) = labels else {
        return selector.is_empty();
    };
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Namespaces whose Namespace object in the bundle enforces Pod Security "restricted"; a
/// bundle without Namespace objects is held to "restricted" everywhere.
fn restricted_namespaces(bundle: &Bundle) -> Option<Vec<&str>> {
    let namespaces: Vec<&Object> = bundle.of_kind("Namespace").collect();
    if namespaces.is_empty() {
        return None;
    }
    Some(
        namespaces
            .into_iter()
            .filter(|ns| {
                ns.metadata()
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("pod-security.kubernetes.io/enforce"))
                    .is_some_and(|level| level == "restricted")
            })
            .map(Object::name)
            .collect(),
    )
}

/// Runs every cross-object rule over `bundle`.
///
/// ```
/// let text = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\n\
///             metadata: {name: demo}\n\
///             spec: {model: {source: {pvc: {claimName: models}}}}\n";
/// let loaded = slipway_core::spec::load_str("demo.yaml", text).unwrap();
/// let bundle = slipway_core::compile(&loaded.spec);
/// assert!(slipway_core::validate::bundle(&bundle).is_empty());
/// ```
pub fn bundle(bundle: &Bundle) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let pods = pods(bundle);
    check_workload_selectors(&pods, &mut out);
    check_services(bundle, &pods, &mut out);
    check_scaling(bundle, &pods, &mut out);
    out.extend(crate::validate::promql::promql(bundle));
    out.extend(crate::validate::limits::limits(bundle));
    let restricted = restricted_namespaces(bundle);
    for pod in &pods {
        if restricted
            .as_ref()
            .is_none_or(|namespaces| namespaces.contains(&pod.namespace))
            && let Some(spec) = &pod.template.spec
        {
            check_restricted(&pod.owner, spec, &mut out);
        }
        if let Some(spec) = &pod.template.spec {
            check_gpus(&pod.owner, spec, &mut out);
        }
    }
    out
}

fn check_workload_selectors(pods: &[Pods<'_>], out: &mut Vec<Diagnostic>) {
    for pod in pods {
        let labels = pod
            .template
            .metadata
            .as_ref()
            .and_then(|m| m.labels.as_ref());
        if let Some(selector) = pod.selector
            && !selects(selector, labels)
        {
            out.push(Diagnostic::new(
                &SELECTOR_MISMATCH,
                format!("{}.spec.selector", pod.owner),
                format!(
                    "{}'s selector does not match its own pod template labels",
                    pod.owner
                ),
            ));
        }
    }
}

fn check_services(bundle: &Bundle, pods: &[Pods<'_>], out: &mut Vec<Diagnostic>) {
    for object in bundle.of_kind("Service") {
        let Object::Service(service) = object else {
            continue;
        };
        let Some(spec) = &service.spec else { continue };
        let Some(selector) = spec.selector.as_ref().filter(|s| !s.is_empty()) else {
            continue;
        };
        let owner = format!("Service/{}", object.name());
        // A headless Service carries no traffic: it lists endpoints, e.g. for scraping every
        // color's pods once. Only traffic-carrying Services must pick one workload.
        let headless = spec.cluster_ip.as_deref() == Some("None");
        let selected: Vec<&Pods<'_>> = pods
            .iter()
            .filter(|pod| pod.namespace == object.namespace())
            .filter(|pod| {
                selects(
                    selector,
                    pod.template
                        .metadata
                        .as_ref()
                        .and_then(|m| m.labels.as_ref()),
                )
            })
            .collect();
        match selected.len() {
            0 => out.push(Diagnostic::new(
                &SELECTOR_MISMATCH,
                format!("{owner}.spec.selector"),
                format!("{owner} selects no pods of this application"),
            )),
            1 => {}
            _ if headless => {}
            _ => out.push(
                Diagnostic::new(
                    &SERVICE_SELECTS_SEVERAL_WORKLOADS,
                    format!("{owner}.spec.selector"),
                    format!(
                        "{owner} selects the pods of {}",
                        selected
                            .iter()
                            .map(|p| p.owner.as_str())
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ),
                )
                .with_help("select one workload (and one color for blue/green)"),
            ),
        }
        for port in spec.ports.iter().flatten() {
            let Some(IntOrString::String(name)) = &port.target_port else {
                continue;
            };
            let found = selected.iter().all(|pod| {
                containers(pod.template.spec.as_ref())
                    .flat_map(|c| c.ports.iter().flatten())
                    .any(|p| p.name.as_deref() == Some(name))
            });
            if !found {
                out.push(Diagnostic::new(
                    &UNKNOWN_PORT,
                    format!("{owner}.spec.ports"),
                    format!("{owner} targets port `{name}`, which its pods do not name"),
                ));
            }
        }
    }
}

fn containers(spec: Option<&PodSpec>) -> impl Iterator<Item = &Container> {
    spec.into_iter().flat_map(|s| {
        s.init_containers
            .iter()
            .flatten()
            .chain(s.containers.iter())
    })
}

fn check_restricted(owner: &str, spec: &PodSpec, out: &mut Vec<Diagnostic>) {
    let pod_security = spec.security_context.as_ref();
    let pod_non_root = pod_security.and_then(|s| s.run_as_non_root) == Some(true);
    let pod_seccomp = pod_security
        .and_then(|s| s.seccomp_profile.as_ref())
        .is_some_and(|p| p.type_ == "RuntimeDefault" || p.type_ == "Localhost");
    let mut problems: Vec<String> = Vec::new();
    let mut fail = |what: String| problems.push(what);
    if spec.host_network == Some(true) || spec.host_pid == Some(true) || spec.host_ipc == Some(true)
    {
        fail("it uses a host namespace".into());
    }
    if spec.volumes.iter().flatten().any(|v| v.host_path.is_some()) {
        fail("it mounts a hostPath volume".into());
    }
    let volumes: Vec<&str> = spec
        .volumes
        .iter()
        .flatten()
        .map(|v| v.name.as_str())
        .collect();
    for container in containers(Some(spec)) {
        let name = &container.name;
        let security = container.security_context.as_ref();
        if security.and_then(|s| s.allow_privilege_escalation) != Some(false) {
            fail(format!(
                "container `{name}` does not set allowPrivilegeEscalation: false"
            ));
        }
        if security.and_then(|s| s.privileged) == Some(true) {
            fail(format!("container `{name}` is privileged"));
        }
        let drops_all = security
            .and_then(|s| s.capabilities.as_ref())
            .and_then(|c| c.drop.as_ref())
            .is_some_and(|d| d.iter().any(|c| c == "ALL"));
        if !drops_all {
            fail(format!("container `{name}` does not drop ALL capabilities"));
        }
        let adds = security
            .and_then(|s| s.capabilities.as_ref())
            .and_then(|c| c.add.as_ref())
            .is_some_and(|a| a.iter().any(|c| c != "NET_BIND_SERVICE"));
        if adds {
            fail(format!("container `{name}` adds capabilities"));
        }
        if !(pod_non_root || security.and_then(|s| s.run_as_non_root) == Some(true)) {
            fail(format!(
                "container `{name}` may run as root (runAsNonRoot unset)"
            ));
        }
        if security.and_then(|s| s.run_as_user) == Some(0) {
            fail(format!("container `{name}` runs as uid 0"));
        }
        let seccomp = security
            .and_then(|s| s.seccomp_profile.as_ref())
            .map(|p| p.type_ == "RuntimeDefault" || p.type_ == "Localhost");
        if !seccomp.unwrap_or(pod_seccomp) {
            fail(format!(
                "container `{name}` has no RuntimeDefault seccomp profile"
            ));
        }
        if security.and_then(|s| s.read_only_root_filesystem) == Some(true) {
            let tmp_mounted = container
                .volume_mounts
                .iter()
                .flatten()
                .any(|m| m.mount_path == "/tmp" && volumes.contains(&m.name.as_str()));
            if !tmp_mounted {
                out.push(
                    Diagnostic::new(
                        &READ_ONLY_ROOT_WITHOUT_TMP,
                        format!("{owner}.spec.template.spec"),
                        format!("container `{name}` has a read-only root filesystem but no writable /tmp"),
                    )
                    .with_help("mount an emptyDir at /tmp"),
                );
            }
        }
    }
    for what in problems {
        out.push(
            Diagnostic::new(
                &POD_SECURITY,
                format!("{owner}.spec.template.spec"),
                format!("{owner} does not meet Pod Security \"restricted\": {what}"),
            )
            .with_help("the namespace enforces \"restricted\"; the pod would be rejected"),
        );
    }
}

/// HPAs, KEDA ScaledObjects and VPAs scale a workload of the bundle, and no workload has two
/// horizontal autoscalers (a ScaledObject is one: KEDA creates its HPA); every
/// PodDisruptionBudget covers the pods of exactly one workload (one color under blue/green).
fn check_scaling(bundle: &Bundle, pods: &[Pods<'_>], out: &mut Vec<Diagnostic>) {
    let mut horizontal: BTreeMap<(&str, &str, &str), Vec<String>> = BTreeMap::new();
    for object in &bundle.objects {
        let owner = format!("{}/{}", object.kind(), object.name());
        let scaler = match object {
            Object::HorizontalPodAutoscaler(hpa) => hpa.spec.as_ref().map(|s| {
                (
                    s.scale_target_ref.kind.as_str(),
                    s.scale_target_ref.name.as_str(),
                )
            }),
            Object::ScaledObject(scaled) => Some((
                scaled.spec.scale_target_ref.kind.as_str(),
                scaled.spec.scale_target_ref.name.as_str(),
            )),
            _ => None,
        };
        if let Some((kind, name)) = scaler {
            horizontal
                .entry((object.namespace(), kind, name))
                .or_default()
                .push(owner.clone());
        }
        let target = match object {
            Object::ScaledObject(_) => scaler,
            Object::HorizontalPodAutoscaler(hpa) => hpa.spec.as_ref().map(|s| {
                (
                    s.scale_target_ref.kind.as_str(),
                    s.scale_target_ref.name.as_str(),
                )
            }),
            Object::VerticalPodAutoscaler(vpa) => Some((
                vpa.spec.target_ref.kind.as_str(),
                vpa.spec.target_ref.name.as_str(),
            )),
            Object::PodDisruptionBudget(pdb) => {
                let selector = pdb
                    .spec
                    .as_ref()
                    .and_then(|s| s.selector.as_ref())
                    .and_then(|s| s.match_labels.as_ref());
                let covered = pods
                    .iter()
                    .filter(|pod| pod.namespace == object.namespace())
                    .filter(|pod| {
                        selector.is_some_and(|selector| {
                            selects(
                                selector,
                                pod.template
                                    .metadata
                                    .as_ref()
                                    .and_then(|m| m.labels.as_ref()),
                            )
                        })
                    })
                    .count();
                if covered != 1 {
                    out.push(
                        Diagnostic::new(
                            &PDB_SELECTOR,
                            format!("{owner}.spec.selector"),
                            format!(
                                "{owner} covers the pods of {covered} workloads instead of one"
                            ),
                        )
                        .with_help("select one workload's pods (and one color for blue/green)"),
                    );
                }
                None
            }
            _ => None,
        };
        let Some((kind, name)) = target else { continue };
        let found = bundle.objects.iter().any(|candidate| {
            candidate.kind() == kind
                && candidate.name() == name
                && candidate.namespace() == object.namespace()
        });
        if !found {
            out.push(Diagnostic::new(
                &SCALE_TARGET,
                format!("{owner}.spec"),
                format!("{owner} scales {kind}/{name}, which the bundle does not contain"),
            ));
        }
    }
    for ((namespace, kind, name), owners) in horizontal {
        // A missing target is reported once, as `scale-target`.
        let exists = bundle.objects.iter().any(|candidate| {
            candidate.kind() == kind
                && candidate.name() == name
                && candidate.namespace() == namespace
        });
        if exists && owners.len() > 1 {
            out.push(
                Diagnostic::new(
                    &AUTOSCALER_CONFLICT,
                    format!("{}.spec", owners[1]),
                    format!("{kind}/{name} is scaled by {}", owners.join(" and ")),
                )
                .with_help("scale a workload with one HPA or one KEDA ScaledObject, not both"),
            );
        }
    }
}

fn check_gpus(owner: &str, spec: &PodSpec, out: &mut Vec<Diagnostic>) {
    for container in containers(Some(spec)) {
        let Some(resources) = &container.resources else {
            continue;
        };
        let extended = |list: &Option<
            BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
        >| {
            list.iter()
                .flatten()
                .filter(|(name, _)| name.contains('/') && name.contains("gpu"))
                .map(|(name, quantity)| (name.clone(), quantity.0.clone()))
                .collect::<BTreeMap<_, _>>()
        };
        if extended(&resources.requests) != extended(&resources.limits) {
            out.push(
                Diagnostic::new(
                    &GPU_REQUESTS_LIMITS,
                    format!("{owner}.spec.template.spec"),
                    format!(
                        "container `{}` requests GPUs differently from its limit",
                        container.name
                    ),
                )
                .with_help("extended resources such as GPUs must be requested exactly as limited"),
            );
        }
    }
}

crate::diagnostic::codes! {
    SELECTOR_MISMATCH {
        id: "selector-mismatch",
        severity: Error,
        stage: Bundle,
        what: "A workload's selector does not match its own pod template, or a Service selects no pod of the application.",
        why: "The API server rejects the first; the second is a Service with no endpoints, which answers nothing.",
        example: "a Deployment selecting `app: api` whose pods are labelled `app: api-v2`",
        instead: "one label helper for selectors and pod labels (Slipway's `app.kubernetes.io/*` labels)",
    }
    SERVICE_SELECTS_SEVERAL_WORKLOADS {
        id: "service-selects-several-workloads",
        severity: Error,
        stage: Bundle,
        what: "A Service selects the pods of more than one workload (e.g. both blue and green).",
        why: "Traffic is then split between colors, which defeats a blue/green switch: the source article's `app: ai-inference` selector does exactly this.",
        example: "a Service selecting `app: ai-inference` over blue and green Deployments",
        instead: "add the color to the selector: `slipway.dev/color: green`",
    }
    UNKNOWN_PORT {
        id: "unknown-port",
        severity: Error,
        stage: Bundle,
        what: "A Service's `targetPort` names a port that the selected pods do not declare.",
        why: "The Service has endpoints but connections to them are refused.",
        example: "`targetPort: http` on pods whose port is named `web`",
        instead: "name the container port `http` (Slipway does), or target the number",
    }
    READ_ONLY_ROOT_WITHOUT_TMP {
        id: "read-only-root-without-tmp",
        severity: Error,
        stage: Bundle,
        what: "A container has `readOnlyRootFilesystem: true` but no writable volume at `/tmp`.",
        why: "Many libraries write temporary files; the container then fails at run time, not at deploy time.",
        example: "`securityContext: {readOnlyRootFilesystem: true}` with no `/tmp` mount",
        instead: "an `emptyDir` mounted at `/tmp` (Slipway adds one to every pod)",
    }
    POD_SECURITY {
        id: "pod-security",
        severity: Error,
        stage: Bundle,
        what: "A pod in a namespace that enforces Pod Security \"restricted\" does not meet it (non-root, no privilege escalation, all capabilities dropped, seccomp `RuntimeDefault`).",
        why: "The API server refuses to create the pods: the Deployment exists but its ReplicaSet never gets a pod.",
        example: "a container without `seccompProfile`",
        instead: "`securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}`",
    }
    PDB_SELECTOR {
        id: "pdb-selector",
        severity: Error,
        stage: Bundle,
        what: "A PodDisruptionBudget covers the pods of several workloads, or none.",
        why: "A budget over two colors lets a drain take all pods of one color; a budget over nothing protects nothing.",
        example: "one PDB selecting `app: ai-inference` over blue and green",
        instead: "one PDB per workload and color",
    }
    SCALE_TARGET {
        id: "scale-target",
        severity: Error,
        stage: Bundle,
        what: "An HPA or VPA targets a workload that the bundle does not contain.",
        why: "The autoscaler reports `FailedGetScale` and scales nothing.",
        example: "`scaleTargetRef: {kind: Deployment, name: ai-inference}` after the Deployment was renamed per color",
        instead: "target the Deployment the bundle emits (Slipway derives the names from one place)",
    }
    GPU_REQUESTS_LIMITS {
        id: "gpu-requests-limits",
        severity: Error,
        stage: Bundle,
        what: "A container requests a GPU resource differently from its limit.",
        why: "Extended resources such as `nvidia.com/gpu` cannot be overcommitted: the API server rejects requests that differ from limits.",
        example: "`requests: {nvidia.com/gpu: 1}` with no GPU limit",
        instead: "`limits: {nvidia.com/gpu: 1}` (requests default to the limit)",
    }
    AUTOSCALER_CONFLICT {
        id: "autoscaler-conflict",
        severity: Error,
        stage: Bundle,
        what: "A workload is the target of more than one horizontal autoscaler (HPAs and KEDA ScaledObjects, whose HPA KEDA creates).",
        why: "Two autoscalers overwrite each other's replica count on every sync period, so the workload flaps between their recommendations.",
        example: "an HPA and a ScaledObject both with `scaleTargetRef: {kind: Deployment, name: ai-inference}`",
        instead: "one autoscaler per workload: `scaling.keda` or `scaling.hpa`",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::compile::testing::seed;

    #[test]
    fn the_seed_bundle_passes_every_cross_object_rule() {
        assert_eq!(bundle(&compile(&seed())), Vec::new());
    }

    #[test]
    fn a_service_selecting_both_colors_is_an_error() {
        let mut compiled = compile(&seed());
        for object in &mut compiled.objects {
            if let Object::Service(service) = object {
                let selector = service.spec.as_mut().unwrap().selector.as_mut().unwrap();
                selector.remove(crate::sections::shared::labels::COLOR_LABEL);
            }
        }
        let ids: Vec<_> = bundle(&compiled).into_iter().map(|d| d.id()).collect();
        assert!(
            ids.contains(&"service-selects-several-workloads"),
            "{ids:?}"
        );
    }

    #[test]
    fn pytorch_job_replicas_and_rollouts_are_held_to_restricted() {
        let mut spec = crate::compile::testing::distributed();
        spec.spec.training.as_mut().unwrap().gpus = 0;
        let mut compiled = compile(&spec);
        assert_eq!(bundle(&compiled), []);
        for object in &mut compiled.objects {
            if let Object::PyTorchJob(job) = object {
                let worker = job.spec.pytorch_replica_specs.get_mut("Worker").unwrap();
                let pod = worker.template.spec.as_mut().unwrap();
                pod.host_network = Some(true);
            }
        }
        let problems = bundle(&compiled);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            problems[0].path,
            "PyTorchJob/ai-inference-training[Worker].spec.template.spec"
        );
    }

    #[test]
    fn an_hpa_beside_a_scaled_object_is_a_conflict() {
        let mut spec = seed();
        spec.spec.scaling.keda = Some(crate::sections::scaling::KedaSpec {
            min_replicas: 1,
            max_replicas: 4,
            metric: crate::sections::scaling::LoadMetric::InFlight,
            target_per_pod: 4.0,
            idle_color_to_zero: false,
            polling_interval_seconds: 15,
            cooldown_period_seconds: 300,
        });
        // Compiled alone, scaling steps aside for KEDA.
        assert!(bundle(&compile(&spec)).is_empty());
        let mut compiled = compile(&spec);
        compiled
            .objects
            .extend(crate::sections::scaling::compile::compile(&{
                let mut hpa_only = spec.clone();
                hpa_only.spec.scaling.keda = None;
                hpa_only
            }));
        let conflicts: Vec<_> = bundle(&compiled)
            .into_iter()
            .filter(|d| d.id() == "autoscaler-conflict")
            .map(|d| d.message)
            .collect();
        // The HPA goes to the active color only (green); the idle one runs its fixed count.
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        assert!(
            conflicts[0].contains("ScaledObject/ai-inference-green"),
            "{conflicts:?}"
        );
    }

    #[test]
    fn autoscalers_target_deployments_of_the_bundle_and_pdbs_one_color() {
        let mut compiled = compile(&seed());
        for object in &mut compiled.objects {
            match object {
                Object::HorizontalPodAutoscaler(hpa) => {
                    hpa.spec.as_mut().unwrap().scale_target_ref.name = "gone".into();
                }
                Object::PodDisruptionBudget(pdb) => {
                    let selector = pdb.spec.as_mut().unwrap().selector.as_mut().unwrap();
                    let labels = selector.match_labels.as_mut().unwrap();
                    labels.remove(crate::sections::shared::labels::COLOR_LABEL);
                }
                _ => {}
            }
        }
        let ids: Vec<_> = bundle(&compiled).into_iter().map(|d| d.id()).collect();
        assert_eq!(
            ids,
            // One HPA (the active color's), a PDB per color.
            ["scale-target", "pdb-selector", "pdb-selector"]
        );
    }

    /// Applies `edit` to the pod template of every Deployment of `bundle`.
    fn edit_inference_pods(bundle: &mut Bundle, mut edit: impl FnMut(&mut PodSpec)) {
        for object in &mut bundle.objects {
            if let Object::Deployment(deployment) = object {
                let template = &mut deployment.spec.as_mut().unwrap().template;
                edit(template.spec.as_mut().unwrap());
            }
        }
    }

    #[test]
    fn a_missing_seccomp_profile_breaks_restricted() {
        let mut compiled = compile(&seed());
        edit_inference_pods(&mut compiled, |pod| {
            pod.security_context.as_mut().unwrap().seccomp_profile = None;
            let container = pod.containers[0].security_context.as_mut().unwrap();
            container.seccomp_profile = None;
        });
        let diagnostics = bundle(&compiled);
        assert!(
            diagnostics
                .iter()
                .any(|d| d.id() == "pod-security" && d.message.contains("seccomp"))
        );
    }

    #[test]
    fn unequal_gpu_requests_and_limits_are_an_error() {
        let mut compiled = compile(&crate::compile::testing::gpu_runtime());
        edit_inference_pods(&mut compiled, |pod| {
            let requests = pod.containers[0]
                .resources
                .as_mut()
                .unwrap()
                .requests
                .as_mut();
            requests.unwrap().remove("nvidia.com/gpu");
        });
        assert!(
            bundle(&compiled)
                .iter()
                .any(|d| d.id() == "gpu-requests-limits")
        );
    }
}
