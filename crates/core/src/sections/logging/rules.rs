//! The rules of the `logging` section.

use crate::diagnostic::Diagnostic;
use crate::sections::AppSpec;

/// Reports [`LOGGING_NAMESPACE`](LOGGING_NAMESPACE).
pub(crate) fn check_logging_namespace(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(namespace) = spec
        .spec
        .logging
        .as_ref()
        .and_then(|l| l.namespace.as_ref())
    else {
        return;
    };
    if namespace == spec.metadata.namespace() {
        out.push(
            Diagnostic::new(
                &LOGGING_NAMESPACE,
                "spec.logging.namespace",
                format!(
                    "Fluentd cannot run in `{namespace}`: its Pod Security \"restricted\" forbids \
                     the hostPath log mounts"
                ),
            )
            .with_help("leave `logging.namespace` out to use `<app>-logging`"),
        );
    }
}

crate::diagnostic::codes! {
    LOGGING_NAMESPACE {
        id: "logging-namespace",
        severity: Error,
        stage: Spec,
        what: "Checks that Fluentd does not run in the application's namespace.",
        why: "Fluentd mounts the node's log directories (`hostPath`), which Pod Security \"restricted\", enforced on the application's namespace, forbids: the DaemonSet would create no pod.",
        example: "`logging: {namespace: ai-applications}` (the application's namespace)",
        instead: "Leave `logging.namespace` out (default `<app>-logging`) or name a namespace of its own.",
    }
}
