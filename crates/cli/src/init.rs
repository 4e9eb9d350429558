//! `slipway init`: a commented starter spec that loads and validates as written.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use slipway_core::Pipeline;

use crate::output::write_atomic;

/// The starter spec; `{{NAME}}` is replaced by the application name.
const STARTER: &str = r#"# yaml-language-server: $schema={{SCHEMA}}
# Slipway AIApplication spec. `slipway schema` prints every field with its default (editors
# with the YAML language server complete and check this file with it: the line above links it;
# offline, `slipway schema > aiapplication.schema.json` and point the line at that file);
# `slipway render {{NAME}}.yaml` prints the Kubernetes objects.
apiVersion: slipway.dev/v1alpha1
kind: AIApplication
metadata:
  name: {{NAME}}              # prefixes every object; lowercase letters, digits, '-'
  namespace: {{NAME}}         # default: the name
spec:
  model:
    path: /models/{version}/model.onnx  # one file per version; the claim is mounted at /models
    version: "1"              # what the server loads (MODEL_VERSION) and training writes
    existingVersions: ["1"]   # already in the store: nothing in the bundle has to write it
    source:
      pvc:                    # or: objectStore: {uri: s3://bucket/path/{version}/model.onnx}
        claimName: {{NAME}}-model
        create: false         # the claim exists and holds <claim>/1/model.onnx
        accessMode: ReadOnlyMany   # replicas on several nodes mount it

  inference:
    replicas: 2
    resources:
      requests: {cpu: 250m, memory: 512Mi}
      limits: {cpu: "1", memory: 1Gi}
    # runtime defaults to the built-in slipway-serve image; its probes, port (8000, named
    # http) and metrics are known to the compiler.

  scaling:
    hpa:
      minReplicas: 2
      maxReplicas: 6
      cpuUtilization: 70

  # training:             # a Job (or CronJob with `schedule`) that produces the model
  #   image: registry.example.com/{{NAME}}-training:v1
  #   args: ["--epochs", "10"]
  #   output: {mountPath: /output}   # writes the model's claim: /output/<version>/model.onnx
  #                                   # (make the claim ReadWriteMany and Slipway-created)
  #
  # rollout:
  #   blueGreen: {active: blue, blue: {image: …:v1, modelVersion: "1"}, green: {image: …:v2}}
  #
  # monitoring, logging, backup, gitops and pipeline: see `slipway schema`.
"#;

/// Writes (or prints) the starter spec for `name`.
pub fn run(name: &str, stdout: bool) -> anyhow::Result<ExitCode> {
    let text = STARTER
        .replace("{{NAME}}", name)
        .replace("{{SCHEMA}}", slipway_core::spec::SCHEMA_ID);
    let file = format!("{name}.yaml");
    // The starter goes through the whole pipeline, so a name that makes it invalid is
    // reported before anything is written.
    if let Err(failed) = Pipeline::new(&file, &text).run() {
        eprint!("{}", failed.render());
        return Ok(ExitCode::from(1));
    }
    if stdout {
        crate::stdout(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    let path = PathBuf::from(&file);
    if path.exists() {
        bail!("{file} already exists; not overwriting it (use --stdout to print the starter)");
    }
    write_atomic(&path, text.as_bytes())?;
    eprintln!("wrote {file}");
    Ok(ExitCode::SUCCESS)
}
