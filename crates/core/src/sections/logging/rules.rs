//! The rules of the `logging` section.

use crate::diagnostic::Diagnostic;
use crate::diagnostic::codes;
use crate::sections::AppSpec;

/// Reports [`codes::LOGGING_NAMESPACE`](crate::diagnostic::codes::LOGGING_NAMESPACE).
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
                &codes::LOGGING_NAMESPACE,
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
