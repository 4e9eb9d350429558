//! The CI pipeline, GitOps style: build and push every image tagged with the commit SHA, then
//! re-render the spec with that tag into the GitOps repository and commit. It never runs
//! `kubectl set image`, which Argo CD self-heal would revert. Credentials appear only by
//! reference (Jenkins credentials ids, GitHub secrets).
//!
//! Emits `ci/<app>/Jenkinsfile` (Groovy, from a small typed builder) and
//! `ci/<app>/.github/workflows/<app>.yaml` (GitHub Actions, from typed structs). The commit
//! reaches the render as the string value `imageTag` (`--set-string imageTag=<sha>`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::spec::{AppSpec, GitOpsSpec, PipelineSpec};
use crate::yaml;

/// Where the slipway CLI is installed from in CI.
const SLIPWAY_GIT: &str = "https://github.com/slipway-dev/slipway";
/// Directory the GitOps repository is cloned into.
const CHECKOUT: &str = "gitops";

/// The pipeline files, keyed by path relative to the output root; none without
/// `spec.pipeline`.
pub fn files(spec: &AppSpec) -> BTreeMap<String, String> {
    let Some(pipeline) = &spec.spec.pipeline else {
        return BTreeMap::new();
    };
    let plan = Plan::new(spec, pipeline);
    let app = &spec.metadata.name;
    BTreeMap::from([
        (format!("ci/{app}/Jenkinsfile"), jenkinsfile(&plan)),
        (
            format!("ci/{app}/.github/workflows/{app}.yaml"),
            github_workflow(&plan),
        ),
    ])
}

/// What both pipelines do, independent of the CI tool.
struct Plan<'a> {
    app: &'a str,
    pipeline: &'a PipelineSpec,
    gitops: Option<&'a GitOpsSpec>,
    registry_host: &'a str,
    spec_file: String,
}

impl<'a> Plan<'a> {
    fn new(spec: &'a AppSpec, pipeline: &'a PipelineSpec) -> Self {
        let app = spec.metadata.name.as_str();
        Self {
            app,
            pipeline,
            gitops: spec.spec.gitops.as_ref(),
            registry_host: pipeline.registry.split('/').next().unwrap_or_default(),
            spec_file: pipeline
                .spec_file
                .clone()
                .unwrap_or_else(|| format!("deploy/{app}.yaml")),
        }
    }

    /// `<registry>/<image>:<tag>`.
    fn image(&self, name: &str, tag: &str) -> String {
        format!(
            "{}/{name}:{tag}",
            self.pipeline.registry.trim_end_matches('/')
        )
    }

    /// The GitOps output directory inside the checkout.
    fn output(&self, gitops: &GitOpsSpec) -> String {
        match gitops.path.trim_matches('/') {
            "" | "." => CHECKOUT.to_string(),
            path => format!("{CHECKOUT}/{path}"),
        }
    }

    /// One `slipway render` command per environment (or one without), with `tag` the shell
    /// expression of the commit; each command is a list of argument groups, joined by the
    /// caller on one line (Jenkins) or with line continuations (GitHub Actions).
    fn renders(&self, gitops: &GitOpsSpec, tag: &str) -> Vec<Vec<String>> {
        let mut common = vec![shell_word(&self.spec_file)];
        for file in &self.pipeline.values_files {
            common.push(format!("-f {}", shell_word(file)));
        }
        common.push(format!("--set-string imageTag=\"{tag}\""));
        common.push(format!("-o {}", shell_word(&self.output(gitops))));
        let environments: Vec<Option<&String>> = if self.pipeline.environments.is_empty() {
            vec![None]
        } else {
            self.pipeline.environments.iter().map(Some).collect()
        };
        environments
            .into_iter()
            .map(|env| {
                let mut command = vec![match env {
                    Some(env) => format!("slipway render --env {}", shell_word(env)),
                    None => "slipway render".to_string(),
                }];
                command.extend(common.iter().cloned());
                command
            })
            .collect()
    }

    /// Stage, commit (when anything changed) and push the GitOps checkout: one shell
    /// command per line.
    fn commit(&self, gitops: &GitOpsSpec, tag: &str) -> Vec<String> {
        let path = match gitops.path.trim_matches('/') {
            "" => ".",
            path => path,
        };
        vec![
            format!("cd {CHECKOUT}"),
            format!("git add -A {}", shell_word(path)),
            "git config user.name slipway-ci".to_string(),
            "git config user.email ci@slipway.invalid".to_string(),
            format!(
                "git diff --cached --quiet || git commit -m \"deploy {} {tag}\"",
                self.app
            ),
            format!(
                "git push origin HEAD:{}",
                shell_word(&gitops.target_revision)
            ),
        ]
    }
}

/// A word for `sh`: as is when it holds only safe characters, single-quoted otherwise.
fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "._/:@=+,-".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A GitHub secret name from a credentials reference: `registry-credentials` →
/// `REGISTRY_CREDENTIALS`.
fn secret_name(reference: &str) -> String {
    reference
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

// --- Jenkins ---------------------------------------------------------------------------

/// Indented Groovy text built block by block.
#[derive(Default)]
struct Groovy {
    text: String,
    depth: usize,
}

impl Groovy {
    fn line(&mut self, line: impl AsRef<str>) -> &mut Self {
        self.text.push_str(&"    ".repeat(self.depth));
        self.text.push_str(line.as_ref());
        self.text.push('\n');
        self
    }

    fn block(&mut self, head: impl AsRef<str>, body: impl FnOnce(&mut Self)) -> &mut Self {
        self.line(format!("{} {{", head.as_ref()));
        self.depth += 1;
        body(self);
        self.depth -= 1;
        self.line("}")
    }

    /// `sh '<command>'`.
    fn sh(&mut self, command: &str) -> &mut Self {
        self.line(format!("sh {}", groovy_string(command)))
    }
}

/// A single-quoted Groovy string (no interpolation).
fn groovy_string(text: &str) -> String {
    format!("'{}'", text.replace('\\', r"\\").replace('\'', r"\'"))
}

fn jenkinsfile(plan: &Plan) -> String {
    let mut groovy = Groovy::default();
    groovy.line(format!(
        "// Generated by slipway from the spec of `{}`; re-render instead of editing.",
        plan.app
    ));
    groovy.line(
        "// Images are tagged with the commit; deploying is a commit to the GitOps repository.",
    );
    groovy.line("// The agent needs docker, git and slipway on its PATH.");
    groovy.block("pipeline", |g| {
        g.line("agent any");
        g.block("options", |g| {
            g.line("disableConcurrentBuilds()");
        });
        g.block("environment", |g| {
            g.line(format!("REGISTRY = {}", groovy_string(&plan.pipeline.registry)));
            g.line("IMAGE_TAG = \"${env.GIT_COMMIT}\"");
        });
        g.block("stages", |g| {
            g.block("stage('Build and push images')", |g| {
                g.block("steps", |g| {
                    g.block(
                        format!(
                            "withCredentials([usernamePassword(credentialsId: {}, usernameVariable: 'REGISTRY_USER', passwordVariable: 'REGISTRY_PASSWORD')])",
                            groovy_string(&plan.pipeline.registry_credentials)
                        ),
                        |g| {
                            g.sh(&format!(
                                "echo \"$REGISTRY_PASSWORD\" | docker login {} --username \"$REGISTRY_USER\" --password-stdin",
                                shell_word(plan.registry_host)
                            ));
                            for (image, dockerfile) in &plan.pipeline.images {
                                let target = format!("\"$REGISTRY/{image}:$IMAGE_TAG\"");
                                g.sh(&format!(
                                    "docker build --file {} --tag {target} .",
                                    shell_word(dockerfile)
                                ));
                                g.sh(&format!("docker push {target}"));
                            }
                        },
                    );
                });
            });
            let Some(gitops) = plan.gitops else { return };
            g.block("stage('Render into the GitOps repository')", |g| {
                g.block("steps", |g| {
                    g.block(format!("dir({})", groovy_string(CHECKOUT)), |g| {
                        g.line(format!(
                            "git url: {}, branch: {}, credentialsId: {}",
                            groovy_string(&gitops.repo_url),
                            groovy_string(&gitops.target_revision),
                            groovy_string(&plan.pipeline.gitops_credentials)
                        ));
                    });
                    for render in plan.renders(gitops, "$IMAGE_TAG") {
                        g.sh(&render.join(" "));
                    }
                });
            });
            g.block("stage('Commit the render')", |g| {
                g.block("steps", |g| {
                    g.block(
                        format!(
                            "withCredentials([gitUsernamePassword(credentialsId: {})])",
                            groovy_string(&plan.pipeline.gitops_credentials)
                        ),
                        |g| {
                            g.sh(&plan.commit(gitops, "$IMAGE_TAG").join(" && "));
                        },
                    );
                });
            });
        });
    });
    groovy.text
}

// --- GitHub Actions --------------------------------------------------------------------

/// A GitHub Actions workflow, with only the keys Slipway sets.
#[derive(Serialize)]
struct Workflow {
    name: String,
    on: Triggers,
    permissions: BTreeMap<&'static str, &'static str>,
    concurrency: String,
    env: BTreeMap<&'static str, String>,
    jobs: BTreeMap<&'static str, WorkflowJob>,
}

#[derive(Serialize)]
struct Triggers {
    push: PushTrigger,
}

#[derive(Serialize)]
struct PushTrigger {
    branches: Vec<String>,
    /// The renders committed back must not trigger another run.
    #[serde(rename = "paths-ignore", skip_serializing_if = "Vec::is_empty")]
    paths_ignore: Vec<String>,
}

#[derive(Serialize)]
struct WorkflowJob {
    #[serde(skip_serializing_if = "Option::is_none")]
    needs: Option<&'static str>,
    #[serde(rename = "runs-on")]
    runs_on: &'static str,
    steps: Vec<Step>,
}

#[derive(Serialize, Default)]
struct Step {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uses: Option<&'static str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    with: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    env: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<String>,
}

fn github_workflow(plan: &Plan) -> String {
    let secret = |reference: &str, suffix: &str| {
        format!("${{{{ secrets.{}{suffix} }}}}", secret_name(reference))
    };
    let checkout = Step {
        name: "Check out the application".into(),
        uses: Some("actions/checkout@v4"),
        ..Default::default()
    };
    let mut build = vec![
        checkout,
        Step {
            name: "Log in to the registry".into(),
            uses: Some("docker/login-action@v3"),
            with: BTreeMap::from([
                ("registry", plan.registry_host.to_string()),
                (
                    "username",
                    secret(&plan.pipeline.registry_credentials, "_USERNAME"),
                ),
                (
                    "password",
                    secret(&plan.pipeline.registry_credentials, "_PASSWORD"),
                ),
            ]),
            ..Default::default()
        },
    ];
    for (image, dockerfile) in &plan.pipeline.images {
        build.push(Step {
            name: format!("Build and push {image}"),
            uses: Some("docker/build-push-action@v6"),
            with: BTreeMap::from([
                ("context", ".".to_string()),
                ("file", dockerfile.clone()),
                ("push", "true".to_string()),
                ("tags", plan.image(image, "${{ github.sha }}")),
            ]),
            ..Default::default()
        });
    }
    let mut jobs = BTreeMap::from([(
        "build",
        WorkflowJob {
            needs: None,
            runs_on: "ubuntu-latest",
            steps: build,
        },
    )]);
    let mut paths_ignore = Vec::new();
    if let Some(gitops) = plan.gitops {
        let path = gitops.path.trim_matches('/');
        if !path.is_empty() && path != "." {
            paths_ignore.push(format!("{path}/**"));
        }
        let token = secret(&plan.pipeline.gitops_credentials, "");
        let clone_url = gitops
            .repo_url
            .strip_prefix("https://")
            .map(|rest| format!("https://x-access-token:${{GITOPS_TOKEN}}@{rest}"))
            .unwrap_or_else(|| gitops.repo_url.clone());
        jobs.insert(
            "deploy",
            WorkflowJob {
                needs: Some("build"),
                runs_on: "ubuntu-latest",
                steps: vec![
                    Step {
                        name: "Check out the application".into(),
                        uses: Some("actions/checkout@v4"),
                        ..Default::default()
                    },
                    Step {
                        name: "Check out the GitOps repository".into(),
                        env: BTreeMap::from([("GITOPS_TOKEN", token.clone())]),
                        run: Some(format!(
                            "git clone --branch {} \"{clone_url}\" {CHECKOUT}",
                            shell_word(&gitops.target_revision)
                        )),
                        ..Default::default()
                    },
                    Step {
                        name: "Install slipway".into(),
                        run: Some(format!(
                            "cargo install --locked --git {SLIPWAY_GIT} slipway-cli"
                        )),
                        ..Default::default()
                    },
                    Step {
                        name: "Render into the GitOps repository".into(),
                        run: Some(
                            plan.renders(gitops, "${{ github.sha }}")
                                .iter()
                                .map(|command| command.join(" \\\n  ") + "\n")
                                .collect(),
                        ),
                        ..Default::default()
                    },
                    Step {
                        name: "Commit the render".into(),
                        env: BTreeMap::from([("GITOPS_TOKEN", token)]),
                        run: Some(plan.commit(gitops, "${{ github.sha }}").join("\n") + "\n"),
                        ..Default::default()
                    },
                ],
            },
        );
    }
    let workflow = Workflow {
        name: plan.app.to_string(),
        on: Triggers {
            push: PushTrigger {
                branches: vec![
                    plan.gitops
                        .map_or("main", |g| g.target_revision.as_str())
                        .to_string(),
                ],
                paths_ignore,
            },
        },
        permissions: BTreeMap::from([("contents", "read")]),
        concurrency: plan.app.to_string(),
        env: BTreeMap::from([("REGISTRY", plan.pipeline.registry.clone())]),
        jobs,
    };
    let body = yaml::to_string(&workflow).expect("the workflow serialises to YAML");
    format!(
        "# Generated by slipway from the spec of `{}`;\n# re-render instead of editing.\n---\n{body}",
        plan.app
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::seed;

    #[test]
    fn jenkins_builds_with_the_commit_and_commits_the_render() {
        let files = files(&seed());
        let jenkinsfile = &files["ci/ai-inference/Jenkinsfile"];
        assert!(jenkinsfile.contains("IMAGE_TAG = \"${env.GIT_COMMIT}\""));
        assert!(jenkinsfile.contains("docker push \"$REGISTRY/ai-model:$IMAGE_TAG\""));
        assert!(jenkinsfile.contains("credentialsId: 'registry-credentials'"));
        assert!(jenkinsfile.contains("--env staging"));
        assert!(jenkinsfile.contains("git push origin HEAD:main"));
        assert!(!jenkinsfile.contains("kubectl"));
        assert_eq!(
            jenkinsfile.matches('{').count(),
            jenkinsfile.matches('}').count()
        );
    }

    #[test]
    fn the_workflow_is_yaml_and_uses_secrets_by_reference() {
        let files = files(&seed());
        let text = &files["ci/ai-inference/.github/workflows/ai-inference.yaml"];
        let workflow: serde_json::Value = yaml::from_str(text).unwrap();
        assert_eq!(workflow["jobs"]["deploy"]["needs"], "build");
        let build = workflow["jobs"]["build"]["steps"].as_array().unwrap();
        assert!(
            build.iter().any(|step| step["with"]["tags"]
                == "registry.mycompany.com/ai/ai-model:${{ github.sha }}")
        );
        assert!(text.contains("${{ secrets.REGISTRY_CREDENTIALS_PASSWORD }}"));
        assert!(!text.contains("kubectl"));
        assert_eq!(
            workflow["on"]["push"]["paths-ignore"][0],
            "k8s-manifests/**"
        );
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("specs/a.yaml"), "specs/a.yaml");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }

    #[test]
    fn no_pipeline_no_files() {
        let mut spec = seed();
        spec.spec.pipeline = None;
        assert!(files(&spec).is_empty());
    }
}
