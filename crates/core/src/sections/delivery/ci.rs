//! The CI pipeline, GitOps style, with promotion: build and push every image tagged with the
//! commit SHA, then deliver it environment by environment by committing renders to the GitOps
//! repository. It never runs `kubectl set image`, which Argo CD self-heal would revert.
//!
//! - **Staging first, prod by promotion.** Environments are delivered in the order of
//!   `pipeline.environments`; every one after the first waits for an explicit approval (a
//!   Jenkins `input`, a GitHub environment with required reviewers).
//! - **Blue/green: the idle color gets the build.** Each environment's release state (which
//!   color is `active`, the image tag of each color, whether a switch is in progress) lives in
//!   the GitOps repository, in `<gitops.path>/release/<app>-<env>.yaml`, and is passed to the
//!   render with `-f`. The pipeline sets the idle color's tag (`blueTag`/`greenTag`) and
//!   commits; a separate step then flips `active` and commits again, so the live color is
//!   never rebuilt in place. The spec template reads `values.active`, `values.blueTag`,
//!   `values.greenTag` and `values.switching` (see `specs/seed-article.yaml`).
//! - **A switch that never drops capacity** (two-Deployment engine). The switch commit flips
//!   `active` together with `switching: true`: the new color's Deployment is raised to the
//!   active capacity, and Argo CD's sync waves apply the Services and the HPA (wave 1) only
//!   once it is healthy; the old color keeps its pods. A drain step then waits
//!   `rollout.blueGreen.scaleDownDelay` (plus [`SYNC_ALLOWANCE_SECONDS`] for Argo CD to pick up
//!   the switch) and commits `switching: false`, which lowers the old color to `idleReplicas`
//!   and hands the new one to its HPA. Under the `rollouts` engine the switch commit only
//!   changes the Rollout's pod template: Argo Rollouts previews, analyses, switches and scales
//!   down by itself, so there is no drain step.
//! - **Loop guard.** The pipeline's own commits carry `[skip ci]` and the bot's address; both
//!   pipelines skip such commits, and GitHub also ignores pushes under `gitops.path`.
//! - **Pinned tools, no credentials left behind.** slipway is installed at the version that
//!   generated the files (`cargo install slipway-cli --version =X --locked`); actions are on
//!   their Node 24 majors; the registry login lives in a per-build Docker config that is
//!   logged out and removed; Git credentials come from a credential helper reading an
//!   environment variable (GitHub) or a `withCredentials` block (Jenkins), never from a file.
//!
//! Emits `ci/<app>/Jenkinsfile` (Groovy, from a small typed builder) and
//! `ci/<app>/.github/workflows/<app>.yaml` (GitHub Actions, from typed structs). The commit
//! reaches the render as the string value `imageTag` (`--set-string imageTag=<sha>`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::sections::AppSpec;

use crate::sections::delivery::GitOpsSpec;

use crate::sections::delivery::PipelineSpec;
use crate::yaml;

/// The slipway release that generated the files, which the pipeline installs.
pub const SLIPWAY_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Directory the GitOps repository is cloned into.
const CHECKOUT: &str = "gitops";
/// Author name of the pipeline's own commits.
pub const BOT_NAME: &str = "slipway-ci";
/// Author address of the pipeline's own commits (what the loop guard recognises).
pub const BOT_EMAIL: &str = "ci@slipway.invalid";
/// Marker in the pipeline's commit messages that CI systems skip.
pub const SKIP_CI: &str = "[skip ci]";
/// Seconds the drain step adds to the scale-down delay, for Argo CD to sync the switch
/// commit first: its default reconciliation period (`timeout.reconciliation`, 180 s) when no
/// webhook announces the push.
pub const SYNC_ALLOWANCE_SECONDS: i64 = 180;

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
    /// The spec rolls out blue/green.
    blue_green: bool,
    /// Blue/green on two Deployments: the switch ends with a drain step; `None` under the
    /// `rollouts` engine (Argo Rollouts scales the old revision down) or without blue/green.
    /// The seconds the drain step waits.
    drain_seconds: Option<i64>,
    /// The spec, to find each environment's tree in the GitOps repository.
    spec: &'a AppSpec,
}

/// One delivery step of one environment (`None`: the render without `--env`).
#[derive(Clone, Copy)]
enum Stage {
    /// Render with the new build (into the idle color under blue/green) and commit.
    Deploy,
    /// Flip `active` to the color that got the build (with `switching: true` under the
    /// two-Deployment engine), render and commit.
    Switch,
    /// After the drain delay, end the switch (`switching: false`): the old color drops to
    /// `idleReplicas`. Two-Deployment blue/green only.
    Drain,
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
            blue_green: spec.spec.rollout.blue_green.is_some(),
            drain_seconds: spec
                .spec
                .rollout
                .blue_green
                .as_ref()
                .filter(|bg| !bg.rollouts())
                .map(|bg| bg.scale_down_delay_seconds() + SYNC_ALLOWANCE_SECONDS),
            spec,
        }
    }

    /// `<registry>/<image>:<tag>`.
    fn image(&self, name: &str, tag: &str) -> String {
        format!(
            "{}/{name}:{tag}",
            self.pipeline.registry.trim_end_matches('/')
        )
    }

    /// The GitOps path inside the repository (`.` for its root).
    fn gitops_path(gitops: &GitOpsSpec) -> &str {
        match gitops.path.trim_matches('/') {
            "" => ".",
            path => path,
        }
    }

    /// The GitOps output directory inside the checkout.
    fn output(&self, gitops: &GitOpsSpec) -> String {
        match Self::gitops_path(gitops) {
            "." => CHECKOUT.to_string(),
            path => format!("{CHECKOUT}/{path}"),
        }
    }

    /// The environments in delivery order (`None`: one render without an environment).
    fn environments(&self) -> Vec<Option<&'a str>> {
        if self.pipeline.environments.is_empty() {
            vec![None]
        } else {
            self.pipeline
                .environments
                .iter()
                .map(|e| Some(e.as_str()))
                .collect()
        }
    }

    /// The steps of one environment: deploy, then under blue/green switch, and drain under
    /// the two-Deployment engine.
    fn steps(&self) -> Vec<Stage> {
        match (self.blue_green, self.drain_seconds) {
            (true, Some(_)) => vec![Stage::Deploy, Stage::Switch, Stage::Drain],
            (true, None) => vec![Stage::Deploy, Stage::Switch],
            (false, _) => vec![Stage::Deploy],
        }
    }

    /// The release state file of `env` inside the checkout.
    fn state_file(&self, gitops: &GitOpsSpec, env: Option<&str>) -> String {
        let name = match env {
            Some(env) => format!("{}-{env}", self.app),
            None => self.app.to_string(),
        };
        format!("{}/release/{name}.yaml", self.output(gitops))
    }

    /// A step's name, e.g. `staging: deploy to the idle color`.
    fn title(&self, env: Option<&str>, step: Stage) -> String {
        let env = env.unwrap_or("deploy");
        match (step, self.blue_green) {
            (Stage::Deploy, true) => format!("{env}: deploy to the idle color"),
            (Stage::Deploy, false) => format!("{env}: deploy"),
            (Stage::Switch, _) => format!("{env}: switch traffic to the new color"),
            (Stage::Drain, _) => format!("{env}: scale down the old color after the drain"),
        }
    }

    /// The shell script of one step: compute the colors from the release state, render into
    /// the GitOps checkout, commit as the bot with `[skip ci]`, push. `tag` is the shell
    /// expression of the commit; `git` the git command (with its credential options).
    fn script(
        &self,
        gitops: &GitOpsSpec,
        env: Option<&str>,
        step: Stage,
        tag: &str,
        git: &str,
    ) -> Vec<String> {
        let mut lines = vec!["set -eu".to_string()];
        let mut render = vec![match env {
            Some(env) => format!("slipway render --env {}", shell_word(env)),
            None => "slipway render".to_string(),
        }];
        render.push(shell_word(&self.spec_file));
        for file in &self.pipeline.values_files {
            render.push(format!("-f {}", shell_word(file)));
        }
        let label = env.unwrap_or(self.app);
        let message = match (step, self.blue_green) {
            (Stage::Deploy, true) => {
                format!("{SKIP_CI} {label}: {} {tag} on idle $IDLE", self.app)
            }
            (Stage::Deploy, false) => format!("{SKIP_CI} {label}: {} {tag}", self.app),
            (Stage::Switch, _) => format!("{SKIP_CI} {label}: {} now serves $IDLE", self.app),
            (Stage::Drain, _) => {
                format!(
                    "{SKIP_CI} {label}: {} switch done, $IDLE scaled down",
                    self.app
                )
            }
        };
        if self.blue_green {
            let state = self.state_file(gitops, env);
            lines.push(format!("STATE={}", shell_word(&state)));
            lines.push(r#"mkdir -p "$(dirname "$STATE")" && touch "$STATE""#.into());
            lines.push(r#"ACTIVE=$(sed -n 's/^active: *//p' "$STATE")"#.into());
            // No state yet: the color the main Service selects in Git is live.
            let service = format!(
                "{CHECKOUT}/{}/service-{}.yaml",
                crate::sections::delivery::argocd::app_path(self.spec, gitops, env),
                self.app
            );
            lines.push(format!(
                r#"[ -n "$ACTIVE" ] || ACTIVE=$(sed -n 's/^ *{}: *//p' {} 2>/dev/null | head -n 1)"#,
                crate::sections::shared::labels::COLOR_LABEL.replace('/', r"\/"),
                shell_word(&service)
            ));
            lines.push("ACTIVE=${ACTIVE:-blue}".into());
            lines.push(r#"if [ "$ACTIVE" = blue ]; then IDLE=green; else IDLE=blue; fi"#.into());
            let switching = |lines: &mut Vec<String>, value: bool| {
                if self.drain_seconds.is_some() {
                    lines.push(r#"sed -i '/^switching:/d' "$STATE""#.into());
                    lines.push(format!(r#"echo "switching: {value}" >> "$STATE""#));
                }
            };
            match step {
                Stage::Deploy => {
                    lines.push(r#"sed -i '/^active:/d' "$STATE""#.into());
                    lines.push(r#"echo "active: $ACTIVE" >> "$STATE""#.into());
                    lines.push(r#"sed -i "/^${IDLE}Tag:/d" "$STATE""#.into());
                    lines.push(format!(r#"echo "${{IDLE}}Tag: '{tag}'" >> "$STATE""#));
                    switching(&mut lines, false);
                }
                Stage::Switch => {
                    // One commit: the new color is raised to the active capacity (wave 0)
                    // before the Services and the HPA move to it (wave 1); the old one keeps
                    // its pods.
                    lines.push(r#"sed -i "s/^active: .*/active: $IDLE/" "$STATE""#.into());
                    switching(&mut lines, true);
                }
                Stage::Drain => {
                    // The color that just stopped serving is now the idle one.
                    let seconds = self.drain_seconds.unwrap_or_default();
                    lines.insert(1, format!("sleep {seconds}"));
                    switching(&mut lines, false);
                }
            }
            render.push(r#"-f "$STATE""#.into());
        }
        render.push(format!("--set-string imageTag=\"{tag}\""));
        render.push(format!("-o {}", shell_word(&self.output(gitops))));
        lines.push(render.join(" "));
        lines.push(format!("cd {CHECKOUT}"));
        lines.push(format!(
            "git add -A {}",
            shell_word(Self::gitops_path(gitops))
        ));
        lines.push(format!(
            "git diff --cached --quiet || git -c user.name={BOT_NAME} -c user.email={BOT_EMAIL} commit -m \"{message}\""
        ));
        lines.push(format!(
            "{git} push origin HEAD:{}",
            shell_word(&gitops.target_revision)
        ));
        lines
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

    /// `sh '''…'''`: a multi-line script, not interpolated by Groovy.
    fn script(&mut self, lines: &[String]) -> &mut Self {
        self.line("sh '''");
        for line in lines {
            self.line(format!("    {}", line.replace('\\', r"\\")));
        }
        self.line("'''")
    }
}

/// A single-quoted Groovy string (no interpolation).
fn groovy_string(text: &str) -> String {
    format!("'{}'", text.replace('\\', r"\\").replace('\'', r"\'"))
}

/// The condition every stage after the loop guard carries.
const NOT_SKIPPED: &str = "expression { env.SKIP_CI == 'false' }";

fn jenkinsfile(plan: &Plan) -> String {
    let mut groovy = Groovy::default();
    groovy.line(format!(
        "// Generated by slipway {SLIPWAY_VERSION} from the spec of `{}`; re-render instead of editing.",
        plan.app
    ));
    groovy.line(
        "// Images are tagged with the commit; deploying is a commit to the GitOps repository,",
    );
    groovy.line(
        "// staging first, later environments after an approval. The agent needs docker, git",
    );
    groovy.line(format!(
        "// and cargo; slipway {SLIPWAY_VERSION} is installed into the workspace."
    ));
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
            g.block("stage('Loop guard')", |g| {
                g.block("steps", |g| {
                    g.block("script", |g| {
                        g.line(
                            "def author = sh(script: 'git log -1 --format=%ae', returnStdout: true).trim()",
                        );
                        g.line(
                            "def subject = sh(script: 'git log -1 --format=%s', returnStdout: true).trim()",
                        );
                        // Path filter: a commit that only touches the rendered tree (the
                        // GitOps repository may be this one) starts nothing.
                        let rendered_only = match plan.gitops.map(Plan::gitops_path) {
                            Some(path) if path != "." => {
                                g.line(format!(
                                    "def outside = sh(script: {}, returnStdout: true).trim()",
                                    groovy_string(&format!(
                                        "git diff-tree --root --no-commit-id --name-only -r HEAD | grep -v {} || true",
                                        shell_word(&format!("^{path}/"))
                                    ))
                                ));
                                " || outside.isEmpty()"
                            }
                            _ => "",
                        };
                        g.line(
                            "// The pipeline's own commits (the render it pushes) must not start it again.",
                        );
                        g.line(format!(
                            "env.SKIP_CI = (author == {} || subject.contains({}){rendered_only}) ? 'true' : 'false'",
                            groovy_string(BOT_EMAIL),
                            groovy_string(SKIP_CI)
                        ));
                    });
                });
            });
            g.block("stage('Build and push images')", |g| {
                g.line(format!("when {{ {NOT_SKIPPED} }}"));
                g.block("steps", |g| {
                    // A Docker config of this build only: the login never reaches the agent's.
                    g.block(
                        "withEnv([\"DOCKER_CONFIG=${env.WORKSPACE_TMP}/docker-config\"])",
                        |g| {
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
                        },
                    );
                });
                g.block("post", |g| {
                    g.block("always", |g| {
                        g.block(
                            "withEnv([\"DOCKER_CONFIG=${env.WORKSPACE_TMP}/docker-config\"])",
                            |g| {
                                g.sh(&format!(
                                    "docker logout {} || true; rm -rf \"$DOCKER_CONFIG\"",
                                    shell_word(plan.registry_host)
                                ));
                            },
                        );
                    });
                });
            });
            let Some(gitops) = plan.gitops else { return };
            g.block("stage('Install slipway')", |g| {
                g.line(format!("when {{ {NOT_SKIPPED} }}"));
                g.block("steps", |g| {
                    g.sh(&format!(
                        "cargo install slipway-cli --version ={SLIPWAY_VERSION} --locked --root \"$WORKSPACE/.slipway\""
                    ));
                });
            });
            for (index, env) in plan.environments().into_iter().enumerate() {
                for (position, step) in plan.steps().into_iter().enumerate() {
                    let title = plan.title(env, step);
                    g.block(format!("stage({})", groovy_string(&title)), |g| {
                        let approval = index > 0 && position == 0;
                        if approval {
                            g.block("when", |g| {
                                g.line("beforeInput true");
                                g.line(NOT_SKIPPED);
                            });
                            // Later environments wait for a person: the promotion.
                            g.block("input", |g| {
                                g.line(format!(
                                    "message {}",
                                    groovy_string(&format!(
                                        "Promote {} to {}?",
                                        plan.app,
                                        env.unwrap_or("the next environment")
                                    ))
                                ));
                                g.line("ok 'Promote'");
                            });
                        } else {
                            g.line(format!("when {{ {NOT_SKIPPED} }}"));
                        }
                        g.block("steps", |g| {
                            g.block(
                                format!(
                                    "withCredentials([gitUsernamePassword(credentialsId: {})])",
                                    groovy_string(&plan.pipeline.gitops_credentials)
                                ),
                                |g| {
                                    g.block(
                                        "withEnv([\"PATH+SLIPWAY=${env.WORKSPACE}/.slipway/bin\"])",
                                        |g| {
                                            g.sh(&format!(
                                                "rm -rf {CHECKOUT} && git clone --branch {} {} {CHECKOUT}",
                                                shell_word(&gitops.target_revision),
                                                shell_word(&gitops.repo_url)
                                            ));
                                            g.script(&plan.script(
                                                gitops,
                                                env,
                                                step,
                                                "$IMAGE_TAG",
                                                "git",
                                            ));
                                        },
                                    );
                                },
                            );
                        });
                    });
                }
            }
        });
    });
    groovy.text
}

// --- GitHub Actions --------------------------------------------------------------------

/// `actions/checkout` on its Node 24 major.
const CHECKOUT_ACTION: &str = "actions/checkout@v5";
/// `docker/login-action` on its Node 24 major.
const LOGIN_ACTION: &str = "docker/login-action@v4";
/// `docker/build-push-action` on its Node 24 major.
const BUILD_PUSH_ACTION: &str = "docker/build-push-action@v7";

/// A GitHub Actions workflow, with only the keys Slipway sets.
#[derive(Serialize)]
struct Workflow {
    name: String,
    on: Triggers,
    permissions: BTreeMap<&'static str, &'static str>,
    concurrency: Concurrency,
    env: BTreeMap<&'static str, String>,
    jobs: BTreeMap<String, WorkflowJob>,
}

#[derive(Serialize)]
struct Concurrency {
    group: String,
    /// A delivery half done must finish: never cancel it.
    #[serde(rename = "cancel-in-progress")]
    cancel_in_progress: bool,
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
    /// Skip the pipeline's own commits.
    #[serde(rename = "if")]
    condition: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    needs: Option<String>,
    /// A GitHub environment; required reviewers on it make the job a promotion.
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<String>,
    #[serde(rename = "runs-on")]
    runs_on: &'static str,
    steps: Vec<WorkflowStep>,
}

#[derive(Serialize, Default)]
struct WorkflowStep {
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

/// A job id from a title: `staging: deploy to the idle color` → `staging-deploy`.
fn job_id(env: Option<&str>, step: Stage) -> String {
    let step = match step {
        Stage::Deploy => "deploy",
        Stage::Switch => "switch",
        Stage::Drain => "drain",
    };
    match env {
        Some(env) => format!("{env}-{step}"),
        None => step.to_string(),
    }
}

fn github_workflow(plan: &Plan) -> String {
    let secret = |reference: &str, suffix: &str| {
        format!("${{{{ secrets.{}{suffix} }}}}", secret_name(reference))
    };
    let guard = format!(
        "${{{{ !contains(github.event.head_commit.message, '{SKIP_CI}') && github.event.head_commit.author.email != '{BOT_EMAIL}' }}}}"
    );
    let checkout = || WorkflowStep {
        name: "Check out the application".into(),
        uses: Some(CHECKOUT_ACTION),
        // No token left in .git/config for later steps.
        with: BTreeMap::from([("persist-credentials", "false".to_string())]),
        ..Default::default()
    };
    let mut build = vec![
        checkout(),
        WorkflowStep {
            name: "Log in to the registry (logged out when the job ends)".into(),
            uses: Some(LOGIN_ACTION),
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
                ("logout", "true".to_string()),
            ]),
            ..Default::default()
        },
    ];
    for (image, dockerfile) in &plan.pipeline.images {
        build.push(WorkflowStep {
            name: format!("Build and push {image}"),
            uses: Some(BUILD_PUSH_ACTION),
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
        "build".to_string(),
        WorkflowJob {
            condition: guard.clone(),
            needs: None,
            environment: None,
            runs_on: "ubuntu-latest",
            steps: build,
        },
    )]);
    let mut paths_ignore = Vec::new();
    if let Some(gitops) = plan.gitops {
        let path = Plan::gitops_path(gitops);
        if path != "." {
            paths_ignore.push(format!("{path}/**"));
        }
        // Git reads the token from the environment through this helper: it is never written
        // to .git/config or to disk.
        let git = "git -c credential.helper= -c credential.helper='!f() { echo username=x-access-token; echo \"password=$GITOPS_TOKEN\"; }; f'";
        let token = secret(&plan.pipeline.gitops_credentials, "");
        let mut previous = "build".to_string();
        for env in plan.environments() {
            for step in plan.steps() {
                let id = job_id(env, step);
                let mut lines = vec![format!(
                    "{git} clone --branch {} {} {CHECKOUT}",
                    shell_word(&gitops.target_revision),
                    shell_word(&gitops.repo_url)
                )];
                lines.extend(plan.script(gitops, env, step, "${{ github.sha }}", git));
                jobs.insert(
                    id.clone(),
                    WorkflowJob {
                        condition: guard.clone(),
                        needs: Some(previous.clone()),
                        // The first environment deploys on every push; the others wait for
                        // the reviewers of their GitHub environment.
                        environment: env.map(str::to_string),
                        runs_on: "ubuntu-latest",
                        steps: vec![
                            checkout(),
                            WorkflowStep {
                                name: format!("Install slipway {SLIPWAY_VERSION}"),
                                run: Some(format!(
                                    "cargo install slipway-cli --version ={SLIPWAY_VERSION} --locked"
                                )),
                                ..Default::default()
                            },
                            WorkflowStep {
                                name: plan.title(env, step),
                                env: BTreeMap::from([("GITOPS_TOKEN", token.clone())]),
                                run: Some(lines.join("\n") + "\n"),
                                ..Default::default()
                            },
                        ],
                    },
                );
                previous = id;
            }
        }
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
        concurrency: Concurrency {
            group: plan.app.to_string(),
            cancel_in_progress: false,
        },
        env: BTreeMap::from([("REGISTRY", plan.pipeline.registry.clone())]),
        jobs,
    };
    let body = yaml::to_string(&workflow).expect("the workflow serialises to YAML");
    format!(
        "# Generated by slipway {SLIPWAY_VERSION} from the spec of `{}`;\n# re-render instead of editing.\n---\n{body}",
        plan.app
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::seed;

    #[test]
    fn jenkins_builds_once_then_promotes_staging_to_prod_through_the_idle_color() {
        let files = files(&seed());
        let jenkinsfile = &files["ci/ai-inference/Jenkinsfile"];
        assert!(jenkinsfile.contains("IMAGE_TAG = \"${env.GIT_COMMIT}\""));
        assert!(jenkinsfile.contains("docker push \"$REGISTRY/ai-model:$IMAGE_TAG\""));
        assert!(jenkinsfile.contains("credentialsId: 'registry-credentials'"));
        assert!(!jenkinsfile.contains("kubectl"));
        // Loop guard first, every later stage conditional on it.
        let guard = jenkinsfile.find("stage('Loop guard')").unwrap();
        assert!(guard < jenkinsfile.find("stage('Build and push images')").unwrap());
        assert_eq!(jenkinsfile.matches("env.SKIP_CI == 'false'").count(), 8);
        assert!(jenkinsfile.contains("author == 'ci@slipway.invalid'"));
        assert!(jenkinsfile.contains(r"grep -v \'^k8s-manifests/\' || true"));
        assert!(jenkinsfile.contains("|| outside.isEmpty())"));
        // Staging before prod; prod behind an input; the idle color first, the switch after.
        let order: Vec<usize> = [
            "stage('staging: deploy to the idle color')",
            "stage('staging: switch traffic to the new color')",
            "stage('staging: scale down the old color after the drain')",
            "stage('prod: deploy to the idle color')",
            "stage('prod: switch traffic to the new color')",
            "stage('prod: scale down the old color after the drain')",
        ]
        .iter()
        .map(|stage| jenkinsfile.find(stage).unwrap_or_else(|| panic!("{stage}")))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]));
        let promotion = &jenkinsfile[order[3]..order[4]];
        assert!(promotion.contains("input {") && promotion.contains("beforeInput true"));
        assert!(!jenkinsfile[..order[3]].contains("input {"));
        // Pinned slipway, no credentials left on the agent, commits that skip CI.
        assert!(jenkinsfile.contains(&format!(
            "cargo install slipway-cli --version ={SLIPWAY_VERSION} --locked"
        )));
        assert!(jenkinsfile.contains("DOCKER_CONFIG=${env.WORKSPACE_TMP}/docker-config"));
        assert!(jenkinsfile.contains("docker logout registry.mycompany.com || true"));
        assert!(
            jenkinsfile
                .contains("commit -m \"[skip ci] staging: ai-inference $IMAGE_TAG on idle $IDLE\"")
        );
        assert!(
            jenkinsfile.contains("gitUsernamePassword(credentialsId: 'gitops-repo-credentials')")
        );
        assert_eq!(
            jenkinsfile.matches('{').count(),
            jenkinsfile.matches('}').count()
        );
    }

    #[test]
    fn the_idle_color_gets_the_build_and_a_second_step_flips_active() {
        let spec = seed();
        let pipeline = spec.spec.pipeline.as_ref().unwrap();
        let plan = Plan::new(&spec, pipeline);
        let gitops = spec.spec.gitops.as_ref().unwrap();
        let deploy = plan
            .script(gitops, Some("staging"), Stage::Deploy, "$SHA", "git")
            .join("\n");
        assert!(deploy.contains("STATE=gitops/k8s-manifests/release/ai-inference-staging.yaml"));
        assert!(deploy.contains(
            "sed -n 's/^ *slipway.dev\\/color: *//p' gitops/k8s-manifests/staging/ai-applications-staging/ai-inference/service-ai-inference.yaml"
        ));
        assert!(deploy.contains("ACTIVE=${ACTIVE:-blue}"));
        assert!(deploy.contains("echo \"${IDLE}Tag: '$SHA'\" >> \"$STATE\""));
        assert!(
            !deploy.contains("active: $IDLE"),
            "deploying never switches"
        );
        assert!(deploy.contains("-f \"$STATE\" --set-string imageTag=\"$SHA\""));
        let switch = plan
            .script(gitops, Some("staging"), Stage::Switch, "$SHA", "git")
            .join("\n");
        assert!(switch.contains("s/^active: .*/active: $IDLE/"));
        assert!(switch.contains(r#"echo "switching: true" >> "$STATE""#));
        assert!(!switch.contains("Tag: '"), "switching never builds");
        assert!(deploy.contains(r#"echo "switching: false" >> "$STATE""#));
    }

    /// GIVEN the seed (two Deployments, the default 30 s scale-down delay); WHEN the pipeline
    /// is generated; THEN after the switch a drain step waits the delay plus Argo CD's sync
    /// allowance, then ends the switch without flipping or building anything.
    #[test]
    fn a_drain_step_ends_the_switch_after_the_delay() {
        let spec = seed();
        let pipeline = spec.spec.pipeline.as_ref().unwrap();
        let plan = Plan::new(&spec, pipeline);
        let gitops = spec.spec.gitops.as_ref().unwrap();
        let drain = plan.script(gitops, Some("prod"), Stage::Drain, "$SHA", "git");
        assert_eq!(drain[1], format!("sleep {}", 30 + SYNC_ALLOWANCE_SECONDS));
        let drain = drain.join("\n");
        assert!(drain.contains(r#"echo "switching: false" >> "$STATE""#));
        assert!(!drain.contains("active: $IDLE") && !drain.contains("Tag: '"));
        assert!(drain.contains("switch done, $IDLE scaled down"));
        // Under Argo Rollouts the Rollout drains by itself: no drain step, no `switching`.
        let mut rollouts = seed();
        rollouts.spec.rollout.blue_green.as_mut().unwrap().engine =
            crate::sections::rollout::BlueGreenEngine::Rollouts;
        let plan = Plan::new(&rollouts, pipeline);
        assert_eq!(plan.steps().len(), 2);
        let switch = plan
            .script(gitops, Some("prod"), Stage::Switch, "$SHA", "git")
            .join("\n");
        assert!(!switch.contains("switching"));
    }

    #[test]
    fn the_workflow_promotes_through_environments_with_current_actions() {
        let files = files(&seed());
        let text = &files["ci/ai-inference/.github/workflows/ai-inference.yaml"];
        let workflow: serde_json::Value = yaml::from_str(text).unwrap();
        let jobs = &workflow["jobs"];
        assert_eq!(jobs["staging-deploy"]["needs"], "build");
        assert_eq!(jobs["staging-switch"]["needs"], "staging-deploy");
        assert_eq!(jobs["staging-drain"]["needs"], "staging-switch");
        assert_eq!(jobs["prod-deploy"]["needs"], "staging-drain");
        assert_eq!(jobs["prod-switch"]["needs"], "prod-deploy");
        assert_eq!(jobs["prod-drain"]["needs"], "prod-switch");
        assert_eq!(jobs["prod-deploy"]["environment"], "prod");
        for job in jobs.as_object().unwrap().values() {
            let guard = job["if"].as_str().unwrap();
            assert!(guard.contains("[skip ci]") && guard.contains("ci@slipway.invalid"));
        }
        let build = jobs["build"]["steps"].as_array().unwrap();
        assert!(
            build.iter().any(|step| step["with"]["tags"]
                == "registry.mycompany.com/ai/ai-model:${{ github.sha }}")
        );
        assert!(text.contains("${{ secrets.REGISTRY_CREDENTIALS_PASSWORD }}"));
        assert!(!text.contains("kubectl"));
        assert!(!text.contains("@v4\n") || text.contains("docker/login-action@v4"));
        for old in [
            "actions/checkout@v4",
            "docker/login-action@v3",
            "build-push-action@v6",
        ] {
            assert!(!text.contains(old), "{old}");
        }
        assert!(text.contains("actions/checkout@v5"));
        assert!(text.contains(&format!("--version ={SLIPWAY_VERSION} --locked")));
        assert!(!text.contains("x-access-token:${"), "no token in a URL");
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
