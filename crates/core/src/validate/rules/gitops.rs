//! Argo CD delivery: hooks and sync waves that agree.

use crate::diagnostic::{Diagnostic, codes};
use crate::spec::AppSpec;

/// Reports [`codes::PRESYNC_HOOK_DEPENDENCIES`](crate::diagnostic::codes::PRESYNC_HOOK_DEPENDENCIES).
pub(super) fn check_pre_sync_hook(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(training) = &spec.spec.training else {
        return;
    };
    if spec.spec.gitops.is_none() || !training.pre_sync_hook || training.schedule.is_some() {
        return;
    }
    let mut needs = vec![format!("ServiceAccount {}-training", spec.metadata.name)];
    let mut claims: Vec<&crate::spec::VolumeClaim> = training
        .data
        .as_ref()
        .map(|data| &data.claim)
        .into_iter()
        .collect();
    claims.extend(training.output_claim(&spec.spec.model));
    needs.extend(
        claims
            .into_iter()
            .filter(|claim| claim.create)
            .map(|claim| format!("PVC {}", claim.claim_name)),
    );
    out.push(
        Diagnostic::new(
            &codes::PRESYNC_HOOK_DEPENDENCIES,
            "spec.training.preSyncHook",
            format!(
                "the PreSync training Job runs before the Sync phase creates what it uses ({}): \
                 the first sync of a new environment fails",
                needs.join(", ")
            ),
        )
        .with_help(
            "leave preSyncHook off (the Job then syncs after RBAC and PVCs and is replaced \
             when it changes), or sync once without the hook first",
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::seed;

    #[test]
    fn a_pre_sync_hook_with_gitops_warns_and_names_what_it_needs() {
        let mut spec = seed();
        spec.spec.training.as_mut().unwrap().pre_sync_hook = true;
        let mut out = Vec::new();
        check_pre_sync_hook(&spec, &mut out);
        assert_eq!(out.len(), 1);
        assert!(!out[0].is_error());
        assert!(
            out[0]
                .message
                .contains("ServiceAccount ai-inference-training")
        );
        assert!(out[0].message.contains("PVC training-data-pvc"));
    }

    #[test]
    fn no_hook_or_no_gitops_no_warning() {
        let mut out = Vec::new();
        check_pre_sync_hook(&seed(), &mut out);
        let mut spec = seed();
        spec.spec.training.as_mut().unwrap().pre_sync_hook = true;
        spec.spec.gitops = None;
        check_pre_sync_hook(&spec, &mut out);
        assert!(out.is_empty());
    }
}
