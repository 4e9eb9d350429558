//! Environments (`--env NAME`): where each one deploys, and the spec as compiled for one.
//!
//! Environments are separate by construction. Each gets its own destination: the namespace
//! `<metadata.namespace>-<env>` (as written when it already ends with `-<env>`: never
//! doubled) on `gitops.destinationServer`, unless
//! `gitops.environments.<env>` names a namespace (used as written) or a server. Every other
//! namespace Slipway creates (Fluentd's) gets the same `-<env>` suffix, and so does every
//! cluster-scoped object, except those declared shared (a PriorityClass with `shared: true`),
//! which keep their name and are emitted by `gitops.sharedObjectsEnvironment` only.
//! [`AppSpec::for_environment`] applies all of this once, before compilation, so every
//! concern sees one consistent spec.

use crate::sections::AppSpec;

use crate::sections::delivery::default_server;

/// The namespace `base` of environment `env`: `<base>-<env>`, unless `base` already ends with
/// `-<env>` (a templated `namespace: {{ values.name }}-{{ env }}`), which is never doubled.
fn with_suffix(base: &str, env: &str) -> String {
    if base
        .strip_suffix(env)
        .is_some_and(|head| head.ends_with('-'))
    {
        base.to_string()
    } else {
        format!("{base}-{env}")
    }
}

/// A cluster (API server URL) and a namespace in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Destination {
    /// API server URL, e.g. `https://kubernetes.default.svc`.
    pub server: String,
    /// Namespace.
    pub namespace: String,
}

/// The environment a spec was resolved for ([`AppSpec::for_environment`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// Its name, as given to `--env`.
    pub name: String,
    /// Where its objects go.
    pub destination: Destination,
}

impl AppSpec {
    /// The environments the spec declares: `pipeline.environments` and the keys of
    /// `gitops.environments`, sorted, each once.
    pub fn declared_environments(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .spec
            .pipeline
            .iter()
            .flat_map(|pipeline| pipeline.environments.iter().map(String::as_str))
            .chain(
                self.spec
                    .gitops
                    .iter()
                    .flat_map(|gitops| gitops.environments.keys().map(String::as_str)),
            )
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Where environment `env` deploys (`None`: the namespace as written, on the default
    /// server).
    ///
    /// ```
    /// use slipway_core::spec::{AppSpec, ModelSource, VolumeClaim};
    ///
    /// let mut app = AppSpec::new("demo", ModelSource::Pvc(VolumeClaim::new("models")));
    /// app.metadata.namespace = Some("ai".into());
    /// assert_eq!(app.destination(Some("staging")).namespace, "ai-staging");
    /// assert_eq!(app.destination(None).namespace, "ai");
    /// ```
    pub fn destination(&self, env: Option<&str>) -> Destination {
        let gitops = self.spec.gitops.as_ref();
        let declared = env.and_then(|env| gitops?.environments.get(env));
        let server = declared
            .and_then(|declared| declared.server.clone())
            .or_else(|| gitops.map(|gitops| gitops.destination_server.clone()))
            .unwrap_or_else(default_server);
        let written = self.metadata.written_namespace();
        let namespace = match (env, declared.and_then(|d| d.namespace.as_ref())) {
            (_, Some(namespace)) => namespace.clone(),
            (Some(env), None) => with_suffix(written, env),
            (None, None) => written.to_string(),
        };
        Destination { server, namespace }
    }

    /// The namespace Fluentd runs in, for environment `env`: `logging.namespace` (default
    /// `<app>-logging`), with the suffix `-<env>`. `None` without logging.
    pub fn logging_namespace(&self, env: Option<&str>) -> Option<String> {
        let logging = self.spec.logging.as_ref().filter(|l| l.enabled)?;
        let base = logging
            .namespace
            .clone()
            .unwrap_or_else(|| format!("{}-logging", self.metadata.name));
        Some(match env {
            Some(env) => with_suffix(&base, env),
            None => base,
        })
    }

    /// The spec as deployed to environment `env`: its destination namespace, Fluentd's
    /// namespace and per-environment names for the cluster-scoped objects it does not share
    /// (a shared PriorityClass is only referenced outside `gitops.sharedObjectsEnvironment`).
    /// `None`, or a spec already resolved, comes back unchanged.
    ///
    /// ```
    /// use slipway_core::spec::{AppSpec, ModelSource, VolumeClaim};
    ///
    /// let app = AppSpec::new("demo", ModelSource::Pvc(VolumeClaim::new("models")));
    /// let prod = app.for_environment(Some("prod"));
    /// assert_eq!(prod.metadata.namespace(), "demo-prod");
    /// assert_eq!(prod.for_environment(Some("prod")), prod);
    /// ```
    pub fn for_environment(&self, env: Option<&str>) -> AppSpec {
        let mut spec = self.clone();
        let Some(env) = env else { return spec };
        if spec.metadata.environment.is_some() {
            return spec;
        }
        let logging_namespace = self.logging_namespace(Some(env));
        if let Some(logging) = spec.spec.logging.as_mut() {
            logging.namespace = logging_namespace.or(logging.namespace.take());
        }
        let owner = self
            .spec
            .gitops
            .as_ref()
            .and_then(|gitops| gitops.shared_objects_environment.as_deref());
        if let Some(priority) = spec.spec.scheduling.priority_class.as_mut() {
            if !priority.shared {
                priority.name = format!("{}-{env}", priority.name);
            } else if owner.is_some_and(|owner| owner != env) {
                // Shared and managed elsewhere: the pods reference it, nothing creates it.
                // (Without an owner every environment creates it, which the
                // `cluster-object-managed-twice` rule rejects.)
                priority.value = None;
            }
        }
        spec.metadata.environment = Some(Environment {
            name: env.to_string(),
            destination: self.destination(Some(env)),
        });
        spec
    }
}

impl crate::sections::AppMetadata {
    /// The name of a cluster-scoped object that each environment has its own of:
    /// `<base>-<env>`, or `base` outside environments.
    pub fn per_environment(&self, base: &str) -> String {
        match &self.environment {
            Some(environment) => format!("{base}-{}", environment.name),
            None => base.to_string(),
        }
    }

    /// The environment's name, `None` outside environments.
    pub fn environment_name(&self) -> Option<&str> {
        self.environment.as_ref().map(|e| e.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use crate::sections::delivery::EnvironmentSpec;

    fn seed() -> crate::sections::AppSpec {
        let text = include_str!("../../../../../specs/seed-article.yaml");
        let rendered = crate::template::render(
            "specs/seed-article.yaml",
            text,
            &Default::default(),
            std::collections::BTreeMap::new(),
        )
        .unwrap();
        crate::spec::load_str("seed.yaml", &rendered.text)
            .unwrap()
            .spec
    }

    #[test]
    fn a_namespace_that_already_names_the_environment_is_not_suffixed_again() {
        let mut spec = seed();
        spec.metadata.namespace = Some("tpl-app-qa".into());
        spec.spec.logging.as_mut().unwrap().namespace = Some("logs-qa".into());
        let qa = spec.for_environment(Some("qa"));
        assert_eq!(qa.metadata.namespace(), "tpl-app-qa");
        assert_eq!(
            qa.spec.logging.as_ref().unwrap().namespace.as_deref(),
            Some("logs-qa")
        );
        // Another environment still gets its suffix; a name merely ending in the letters does too.
        assert_eq!(
            spec.for_environment(Some("prod")).metadata.namespace(),
            "tpl-app-qa-prod"
        );
        spec.metadata.namespace = Some("faqa".into());
        assert_eq!(
            spec.for_environment(Some("qa")).metadata.namespace(),
            "faqa-qa"
        );
    }

    #[test]
    fn each_environment_gets_its_own_namespaces_and_cluster_names() {
        let spec = seed();
        assert_eq!(spec.declared_environments(), ["prod", "staging"]);
        let staging = spec.for_environment(Some("staging"));
        let prod = spec.for_environment(Some("prod"));
        assert_eq!(staging.metadata.namespace(), "ai-applications-staging");
        assert_eq!(prod.metadata.namespace(), "ai-applications-prod");
        assert_eq!(
            staging.spec.logging.as_ref().unwrap().namespace.as_deref(),
            Some("ai-inference-logging-staging")
        );
        let priority = |s: &crate::sections::AppSpec| {
            s.spec
                .scheduling
                .priority_class
                .as_ref()
                .unwrap()
                .name
                .clone()
        };
        assert_eq!(priority(&staging), "ai-high-priority-staging");
        assert_eq!(priority(&prod), "ai-high-priority-prod");
        assert_eq!(staging.metadata.per_environment("x"), "x-staging");
    }

    #[test]
    fn declared_destinations_are_used_as_written() {
        let mut spec = seed();
        spec.spec.gitops.as_mut().unwrap().environments.insert(
            "prod".into(),
            EnvironmentSpec {
                namespace: Some("ai-applications".into()),
                server: Some("https://prod.example.com".into()),
            },
        );
        let prod = spec.destination(Some("prod"));
        assert_eq!(prod.namespace, "ai-applications");
        assert_eq!(prod.server, "https://prod.example.com");
        assert_eq!(
            spec.destination(Some("staging")).server,
            "https://kubernetes.default.svc"
        );
    }

    #[test]
    fn a_shared_priority_class_is_created_by_its_owner_only() {
        let mut spec = seed();
        spec.spec.scheduling.priority_class.as_mut().unwrap().shared = true;
        spec.spec
            .gitops
            .as_mut()
            .unwrap()
            .shared_objects_environment = Some("prod".into());
        let staging = spec.for_environment(Some("staging"));
        let prod = spec.for_environment(Some("prod"));
        let class =
            |s: &crate::sections::AppSpec| s.spec.scheduling.priority_class.clone().unwrap();
        assert_eq!(class(&staging).name, "ai-high-priority");
        assert_eq!(class(&staging).value, None);
        assert_eq!(class(&prod).name, "ai-high-priority");
        assert_eq!(class(&prod).value, Some(1_000_000));
    }
}
