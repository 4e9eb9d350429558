//! Every diagnostic code Slipway can emit, in one registry (like ruff's `codes.rs`): its id,
//! severity, stage and documentation. Diagnostics are built from these constants
//! ([`Diagnostic::new`](crate::diagnostic::Diagnostic::new)), so an id cannot be misspelt or emitted
//! unregistered; `slipway rules` and the README's rule list are generated from [`ALL`].

use crate::diagnostic::Severity;
use crate::diagnostic::code::Code;
use crate::diagnostic::code::Stage;

/// `template-undefined`: The spec template uses a value that is not defined (strict undefined).
pub const TEMPLATE_UNDEFINED: Code = Code {
    id: "template-undefined",
    severity: Severity::Error,
    stage: Stage::Template,
    what: "The spec template uses a value that is not defined (strict undefined).",
    why: "Rendering an undefined value as an empty string produces a spec that loads with a silently missing field.",
    example: "`replicas: {{ values.replicas }}` with no `replicas` in any values file",
    instead: "define it (`-f values.yaml`, `--set replicas=3`) or give a default: `{{ values.replicas | default(2) }}`",
};

/// `template-syntax`: The spec template is not valid minijinja syntax.
pub const TEMPLATE_SYNTAX: Code = Code {
    id: "template-syntax",
    severity: Severity::Error,
    stage: Stage::Template,
    what: "The spec template is not valid minijinja syntax.",
    why: "Nothing can be rendered from it.",
    example: "`replicas: {{ values.replicas }`",
    instead: "`replicas: {{ values.replicas }}`",
};

/// `template-fuel`: The template ran out of its instruction budget.
pub const TEMPLATE_FUEL: Code = Code {
    id: "template-fuel",
    severity: Severity::Error,
    stage: Stage::Template,
    what: "Stops a template that runs more than `template::FUEL` (5 million) engine instructions, naming the line it was on.",
    why: "A spec is rendered in CI and by every developer: a runaway loop must fail fast with a location, not hang the pipeline until it is killed.",
    example: "`{% for i in range(100000) %}{% for j in range(100000) %}…{% endfor %}{% endfor %}`",
    instead: "loop over the values you need (`{% for m in values.models %}`), a few hundred entries at most",
};

/// `values-without-template`: Values were given for a spec that is not a template.
pub const VALUES_WITHOUT_TEMPLATE: Code = Code {
    id: "values-without-template",
    severity: Severity::Error,
    stage: Stage::Template,
    what: "Rejects values (`-f`, `--set`, `--set-string`, the environment's values file) given for a spec that has no template syntax.",
    why: "A spec that is not a template renders as written, so the values would be silently ignored: `--set inference.replicas=3` reads like a Helm override and would change nothing.",
    example: "`slipway render specs/minimal.yaml --set inference.replicas=3`",
    instead: "write the value into the spec, or make the spec a template: `replicas: {{ values.replicas | default(2) }}`",
};

/// `template-include`: `{% include %}` names a partial that does not exist beside the spec (or lies outside its directory).
pub const TEMPLATE_INCLUDE: Code = Code {
    id: "template-include",
    severity: Severity::Error,
    stage: Stage::Template,
    what: "`{% include %}` names a partial that does not exist beside the spec (or lies outside its directory).",
    why: "Partials are read relative to the spec's directory only, so a template cannot read arbitrary files.",
    example: "`{% include \"../secrets.yaml\" %}`",
    instead: "`{% include \"partials/probes.yaml\" %}` with the file beside the spec",
};

/// `template`: Any other template failure (a filter on the wrong type, a loop over a non-sequence, …).
pub const TEMPLATE: Code = Code {
    id: "template",
    severity: Severity::Error,
    stage: Stage::Template,
    what: "Any other template failure (a filter on the wrong type, a loop over a non-sequence, …).",
    why: "The template cannot be rendered; the message carries minijinja's reason.",
    example: "`{% for x in values.replicas %}` where `replicas` is a number",
    instead: "iterate over a sequence, or fix the value's type",
};

/// `yaml-syntax`: The spec (after templating) is not a YAML document.
pub const YAML_SYNTAX: Code = Code {
    id: "yaml-syntax",
    severity: Severity::Error,
    stage: Stage::Load,
    what: "The spec (after templating) is not a YAML document.",
    why: "Nothing can be read from it.",
    example: "`metadata: {name: demo`",
    instead: "`metadata: {name: demo}`",
};

/// `yaml-duplicate-key`: A mapping has the same key twice.
pub const YAML_DUPLICATE_KEY: Code = Code {
    id: "yaml-duplicate-key",
    severity: Severity::Error,
    stage: Stage::Load,
    what: "Rejects a mapping that has the same key twice, anywhere in a spec or values file.",
    why: "YAML requires unique keys; readers that accept duplicates keep the last one silently, so a second `metadata:` block renames the application and a repeated env var or RBAC entry wins unseen.",
    example: "`metadata: {name: a}` followed later by `metadata: {name: b}`",
    instead: "one key, with everything it holds merged under it",
};

/// `yaml-limit`: The document exceeds the reader's alias or nesting budget.
pub const YAML_LIMIT: Code = Code {
    id: "yaml-limit",
    severity: Severity::Error,
    stage: Stage::Load,
    what: "Stops a document whose aliases expand past the reader's budget (an alias bomb) or that nests too deep.",
    why: "A few lines of anchors and aliases can expand to gigabytes; reading such a spec must fail fast with a location, not exhaust memory.",
    example: "`a: &a [x, x]`, `b: &b [*a, *a]`, … nine levels deep",
    instead: "write the values out, or use a template loop; plain anchors and aliases within the budget still work",
};

/// `yaml-document`: The file holds no mapping document.
pub const YAML_DOCUMENT: Code = Code {
    id: "yaml-document",
    severity: Severity::Error,
    stage: Stage::Load,
    what: "Rejects a file that is empty, only comments, or whose document is a list or a scalar instead of a mapping.",
    why: "A spec is one mapping with `apiVersion`, `kind`, `metadata` and `spec`; anything else is a wrong file or a broken template.",
    example: "an empty file, or `- name: demo`",
    instead: "`slipway init NAME --stdout` prints a starter spec",
};

/// `schema`: The document does not match the AIApplication JSON Schema (`slipway schema`): an unknown field, a wrong type, a missing required field, a value out of range.
pub const SCHEMA: Code = Code {
    id: "schema",
    severity: Severity::Error,
    stage: Stage::Load,
    what: "The document does not match the AIApplication JSON Schema (`slipway schema`): an unknown field, a wrong type, a missing required field, a value out of range.",
    why: "The schema is the spec's contract; every violation is listed with its field path, with a `did you mean` for misspelt fields.",
    example: "`inference: {replicas: three}`",
    instead: "`inference: {replicas: 3}`",
};

/// `spec-shape`: The document matches the schema but cannot be read into the typed spec (e.g.
pub const SPEC_SHAPE: Code = Code {
    id: "spec-shape",
    severity: Severity::Error,
    stage: Stage::Load,
    what: "The document matches the schema but cannot be read into the typed spec (e.g. `3.0` where an integer is required).",
    why: "Slipway parses every value once into a type; a value it cannot type is not used as a guess.",
    example: "`inference: {port: 8000.0}`",
    instead: "`inference: {port: 8000}`",
};

/// `rbac-anonymous`: A binding grants access to unauthenticated requests.
pub const RBAC_ANONYMOUS: Code = Code {
    id: "rbac-anonymous",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Rejects RBAC subjects that stand for anyone: the group `system:unauthenticated` and the user `system:anonymous`.",
    why: "Every request without credentials, from anywhere the API server is reachable, gets the preset's access: read pods and logs, or change Deployments.",
    example: "`subjects: [{kind: Group, name: \"system:unauthenticated\"}]`",
    instead: "`subjects: [{kind: Group, name: ml-engineers}]`",
};

/// `rbac-all-authenticated`: A binding grants access to every authenticated identity.
pub const RBAC_ALL_AUTHENTICATED: Code = Code {
    id: "rbac-all-authenticated",
    severity: Severity::Warning,
    stage: Stage::Spec,
    what: "Warns when an RBAC subject is the group `system:authenticated`.",
    why: "It includes every user and every service account of every namespace: one compromised pod anywhere in the cluster gets the application's access.",
    example: "`subjects: [{kind: Group, name: \"system:authenticated\"}]`",
    instead: "the groups or service accounts that need the access",
};

/// `rbac-duplicate-binding`: Two RBAC entries compile to one Role.
pub const RBAC_DUPLICATE_BINDING: Code = Code {
    id: "rbac-duplicate-binding",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Rejects two `security.rbac` entries that compile to the same Role and RoleBinding name (same explicit `name`, or the same preset, subjects and rules).",
    why: "One object would silently replace the other: whoever the lost entry was meant for has no access, and a reviewer reading the spec cannot tell.",
    example: "the same `{preset: viewer, subjects: [{kind: Group, name: ops}]}` entry twice",
    instead: "one entry per set of subjects and grants, or distinct `name`s",
};

/// `backup-source`: Checks `backup`: the model must live on a PersistentVolumeClaim (the backup copies that claim) that a second pod can mount (not `ReadWriteOncePod`), and `destination` must be an `s3://bucket/prefix` URI.
pub const BACKUP_SOURCE: Code = Code {
    id: "backup-source",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks `backup`: the model must live on a PersistentVolumeClaim (the backup copies that claim) that a second pod can mount (not `ReadWriteOncePod`), and `destination` must be an `s3://bucket/prefix` URI.",
    why: "A model fetched from object storage has no volume for the backup to mount: the CronJob would copy nothing while looking like a backup. `aws s3 sync` takes only `s3://` destinations; anything else fails at 02:00, not at render time.",
    example: "`model: {source: {objectStore: {uri: s3://models/m.onnx}}}` with `backup: {...}`",
    instead: "drop `backup` and version the bucket (or replicate it) with the object store's own tools;\nor keep the model on a PVC: `model: {source: {pvc: {claimName: models}}}`",
};

/// `presync-hook-dependencies`: Warns when the training Job is an Argo CD PreSync hook while Slipway also creates what the Job needs (its ServiceAccount, the PVCs it mounts) in the Sync phase.
pub const PRESYNC_HOOK_DEPENDENCIES: Code = Code {
    id: "presync-hook-dependencies",
    severity: Severity::Warning,
    stage: Stage::Spec,
    what: "Warns when the training Job is an Argo CD PreSync hook while Slipway also creates what the Job needs (its ServiceAccount, the PVCs it mounts) in the Sync phase.",
    why: "PreSync hooks run before every sync wave: on the first sync of a new environment the Job's ServiceAccount and PVCs do not exist yet, so the hook fails and the whole sync with it.",
    example: "`training: {preSyncHook: true, data: {claim: {claimName: data, size: 100Gi}}}` with\n`gitops` set",
    instead: "Leave `preSyncHook` off: the Job then syncs after RBAC (wave -2) and PVCs (wave -1), and\nis replaced when it changes. Or sync once without the hook before turning it on.",
};

/// `image-tag`: Warns about every image reference that is untagged or tagged `latest`.
pub const IMAGE_TAG: Code = Code {
    id: "image-tag",
    severity: Severity::Warning,
    stage: Stage::Spec,
    what: "Warns about every image reference that is untagged or tagged `latest`.",
    why: "A moving tag makes two renders of the same spec run different code, defeats rollbacks and blue/green (both colors may pull the same new image), and hides what is in production.",
    example: "`image: mycompany/ai-model:latest`",
    instead: "`image: mycompany/ai-model:v1.0` or `image: mycompany/ai-model@sha256:…`",
};

/// `dns-name`: Checks every name Slipway turns into an object name or a reference: the application name (a DNS-1035 label of at most 40 characters), the namespace (DNS-1123 label), claim, Secret, PriorityClass and RuntimeClass names (DNS-1123 subdomains), and the model name (a URL path segment).
pub const DNS_NAME: Code = Code {
    id: "dns-name",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks every name Slipway turns into an object name or a reference: the application name (a DNS-1035 label of at most 40 characters), the namespace (DNS-1123 label), claim, Secret, PriorityClass and RuntimeClass names (DNS-1123 subdomains), and the model name (a URL path segment).",
    why: "The API server rejects such objects at apply time, after the GitOps commit landed; Argo CD then shows a failed sync instead of the author seeing the mistake.",
    example: "`metadata.name: AI_Inference`",
    instead: "`metadata.name: ai-inference`",
};

/// `label-syntax`: Checks label keys and values (`metadata.labels`, `scheduling.nodeSelector`) and annotation keys against the Kubernetes syntax, and refuses the `app.kubernetes.io/*` labels Slipway sets itself.
pub const LABEL_SYNTAX: Code = Code {
    id: "label-syntax",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks label keys and values (`metadata.labels`, `scheduling.nodeSelector`) and annotation keys against the Kubernetes syntax, and refuses the `app.kubernetes.io/*` labels Slipway sets itself.",
    why: "An invalid label fails at apply time; overriding `app.kubernetes.io/name` would break the selectors Slipway derives from it.",
    example: "`labels: {team: \"AI Team\"}`",
    instead: "`labels: {team: ai-team}`",
};

/// `alert-threshold`: Checks the alert thresholds: `cpuLimitPercent` and `memoryLimitPercent` in 1–100, `errorRatePercent` in (0, 100], `latencyP99Seconds` above 0.
pub const ALERT_THRESHOLD: Code = Code {
    id: "alert-threshold",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks the alert thresholds: `cpuLimitPercent` and `memoryLimitPercent` in 1–100, `errorRatePercent` in (0, 100], `latencyP99Seconds` above 0.",
    why: "A container is throttled at its CPU limit and killed at its memory limit, so a threshold above 100% of the limit never fires; a zero error or latency threshold fires all the time.",
    example: "`alerts: {cpuLimitPercent: 120}`",
    instead: "`alerts: {cpuLimitPercent: 80}`",
};

/// `alert-without-limit`: Warns when alerts are on but the inference container declares no CPU or memory limit.
pub const ALERT_WITHOUT_LIMIT: Code = Code {
    id: "alert-without-limit",
    severity: Severity::Warning,
    stage: Stage::Spec,
    what: "Warns when alerts are on but the inference container declares no CPU or memory limit.",
    why: "The CPU and memory alerts are a share of the declared limit; without one, Slipway emits no such alert, and a container may grow until the node runs short.",
    example: "`resources: {limits: {}}`",
    instead: "`resources: {limits: {cpu: \"1\", memory: 2Gi}}`",
};

/// `logging-namespace`: Checks that Fluentd does not run in the application's namespace.
pub const LOGGING_NAMESPACE: Code = Code {
    id: "logging-namespace",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks that Fluentd does not run in the application's namespace.",
    why: "Fluentd mounts the node's log directories (`hostPath`), which Pod Security \"restricted\", enforced on the application's namespace, forbids: the DaemonSet would create no pod.",
    example: "`logging: {namespace: ai-applications}` (the application's namespace)",
    instead: "Leave `logging.namespace` out (default `<app>-logging`) or name a namespace of its own.",
};

/// `rbac-api-group`: Checks every `apiGroups` entry of the extra RBAC rules: the core group is `""`, the other built-in groups without a dot are `apps`, `autoscaling`, `batch` and `policy`, and every other group is a DNS subdomain such as `networking.k8s.io`.
pub const RBAC_API_GROUP: Code = Code {
    id: "rbac-api-group",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks every `apiGroups` entry of the extra RBAC rules: the core group is `\"\"`, the other built-in groups without a dot are `apps`, `autoscaling`, `batch` and `policy`, and every other group is a DNS subdomain such as `networking.k8s.io`. A rule must name at least one group.",
    why: "`apiGroups: [\"v1\"]` names a group that does not exist (`v1` is the core group's version), so the rule grants nothing and the subject gets `forbidden` on pods and Services; the API server accepts the Role without a word.",
    example: "`{apiGroups: [\"v1\"], resources: [pods], verbs: [get]}`",
    instead: "`{apiGroups: [\"\"], resources: [pods], verbs: [get]}`",
};

/// `rbac-wildcard`: Rejects `*` in the `apiGroups`, `resources` or `verbs` of the extra RBAC rules.
pub const RBAC_WILDCARD: Code = Code {
    id: "rbac-wildcard",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Rejects `*` in the `apiGroups`, `resources` or `verbs` of the extra RBAC rules.",
    why: "A wildcard grants everything that exists and everything installed later (Secrets, RBAC objects, custom resources), which no reviewer can see from the rule.",
    example: "`{apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}`",
    instead: "`{apiGroups: [apps], resources: [deployments], verbs: [get, list, watch]}`, or a preset",
};

/// `rbac-verb`: Checks the `verbs` of the extra RBAC rules against the verbs a Role grants on resources: get, list, watch, create, update, patch, delete, deletecollection.
pub const RBAC_VERB: Code = Code {
    id: "rbac-verb",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks the `verbs` of the extra RBAC rules against the verbs a Role grants on resources: get, list, watch, create, update, patch, delete, deletecollection.",
    why: "A misspelt verb (`read`, `Get`) grants nothing and the API server accepts it silently; `escalate`, `bind` and `impersonate` hand out more than the Role itself.",
    example: "`verbs: [read]`",
    instead: "`verbs: [get, list, watch]`",
};

/// `rbac-subjects`: Checks the subjects of every RBAC binding: at least one, each with a name, and a `namespace` only on a ServiceAccount.
pub const RBAC_SUBJECTS: Code = Code {
    id: "rbac-subjects",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks the subjects of every RBAC binding: at least one, each with a name, and a `namespace` only on a ServiceAccount.",
    why: "A RoleBinding without subjects binds nobody: the API server accepts it and the team that was meant to get access gets `forbidden`. Users and groups are cluster-wide; a namespace on them is ignored by Kubernetes and usually means a ServiceAccount was meant.",
    example: "`{preset: deployer, subjects: []}`, or `{kind: User, name: ci, namespace: ci}`",
    instead: "`{preset: deployer, subjects: [{kind: ServiceAccount, name: ci, namespace: ci}]}`",
};

/// `quantity-syntax`: Parses every quantity of the spec when it is loaded: resource quantities (requests, limits, VPA bounds, volume sizes) with the Kubernetes grammar, Fluentd buffer sizes with Fluentd's.
pub const QUANTITY_SYNTAX: Code = Code {
    id: "quantity-syntax",
    severity: Severity::Error,
    stage: Stage::Load,
    what: "Parses every quantity of the spec when it is loaded: resource quantities (requests, limits, VPA bounds, volume sizes) with the Kubernetes grammar, a string such as `500m` or `4Gi` or a number such as `1` or `0.5`; Fluentd's buffer sizes (`logging.buffer.chunkLimitSize`, `totalLimitSize`) with Fluentd's, e.g. `8MB`.",
    why: "`2GBytes` or `1 CPU` is rejected by the API server only when the object is applied; parsed once, quantities compare exactly (`1000m` equals `1`). Fluentd reads the first digits-and-unit anywhere in a size, so `1.5g` would buffer 5 GiB.",
    example: "`limits: {memory: 4GBytes}`",
    instead: "`limits: {memory: 4Gi}` (binary suffixes Ki, Mi, Gi; decimal k, M, G; millicores `500m`)",
};

/// `requests-exceed-limits`: Compares each request with its limit (inference, training) and each VPA `minAllowed` with its `maxAllowed`; warns when the inference container has no memory limit.
pub const REQUESTS_EXCEED_LIMITS: Code = Code {
    id: "requests-exceed-limits",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Compares each request with its limit (inference, training) and each VPA `minAllowed` with its `maxAllowed`; warns when the inference container has no memory limit.",
    why: "The API server rejects a request above its limit; a server without a memory limit can take the node's memory, and alerts on \"share of the limit\" have nothing to measure against.",
    example: "`requests: {cpu: \"2\"}` with `limits: {cpu: \"1\"}`",
    instead: "`requests: {cpu: 500m}` with `limits: {cpu: \"1\"}`",
};

/// `replicas-range`: Checks `inference.replicas` (negative is an error, zero a warning) and `rollout.blueGreen.idleReplicas` (negative is an error).
pub const REPLICAS_RANGE: Code = Code {
    id: "replicas-range",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks `inference.replicas` (negative is an error, zero a warning) and `rollout.blueGreen.idleReplicas` (negative is an error).",
    why: "Zero replicas deploys an application that answers nothing; the Deployment is valid, so nothing else would say so.",
    example: "`replicas: 0`",
    instead: "`replicas: 2` (or more, so one pod can restart while another serves)",
};

/// `hpa-bounds`: Checks the HPA: `minReplicas` at least 1 and at most `maxReplicas`, at least one target, targets above 0, and a request for every resource the HPA targets.
pub const HPA_BOUNDS: Code = Code {
    id: "hpa-bounds",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks the HPA: `minReplicas` at least 1 and at most `maxReplicas`, at least one target, targets above 0, and a request for every resource the HPA targets.",
    why: "The API server rejects `minReplicas > maxReplicas`; an HPA with a CPU target but no CPU request never scales (utilisation is a share of the request).",
    example: "`hpa: {minReplicas: 10, maxReplicas: 2}`",
    instead: "`hpa: {minReplicas: 2, maxReplicas: 10, cpuUtilization: 70}`",
};

/// `hpa-vpa-conflict`: Reports a VPA that would change a resource the HPA scales on: `updateMode` `Recreate` or `Auto` while `controlledResources` (cpu and memory when empty) includes a resource the HPA targets by utilisation.
pub const HPA_VPA_CONFLICT: Code = Code {
    id: "hpa-vpa-conflict",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Reports a VPA that would change a resource the HPA scales on: `updateMode` `Recreate` or `Auto` while `controlledResources` (cpu and memory when empty) includes a resource the HPA targets by utilisation.",
    why: "The HPA's utilisation is usage divided by the request. A VPA that raises the request lowers the utilisation, so the HPA removes pods, which raises usage per pod, so the VPA raises the request again: the two chase each other and evict pods on the way.",
    example: "`hpa: {cpuUtilization: 70}` with `vpa: {updateMode: Auto}`",
    instead: "`vpa: {updateMode: \"Off\"}` (recommendations only) or `Initial` (set at pod creation), or\n`controlledResources: [memory]` when the HPA scales on CPU alone.",
};

/// `disruption-budget`: Checks `scaling.disruptionBudget.maxUnavailable`: at least 1 when the budget is emitted.
pub const DISRUPTION_BUDGET: Code = Code {
    id: "disruption-budget",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks `scaling.disruptionBudget.maxUnavailable`: at least 1 (or 1%) and at most 100% when the budget is emitted.",
    why: "`maxUnavailable: 0` forbids every voluntary eviction: `kubectl drain` and cluster upgrades hang on the application's nodes until someone deletes the budget by hand.",
    example: "`disruptionBudget: {maxUnavailable: 0}`",
    instead: "`disruptionBudget: {maxUnavailable: 1}`, and more replicas if one pod less is too few",
};

/// `toleration`: Checks `scheduling.tolerations`: `Exists` takes no value, an empty key needs `Exists`, and `tolerationSeconds` goes with the `NoExecute` effect only.
pub const TOLERATION: Code = Code {
    id: "toleration",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks `scheduling.tolerations`: `Exists` takes no value, an empty key needs `Exists`, and `tolerationSeconds` goes with the `NoExecute` effect only.",
    why: "The API server rejects such a pod template, so the Deployment is created but never gets a pod; the error shows only in the ReplicaSet's events.",
    example: "`{key: gpu, operator: Exists, value: \"true\"}`",
    instead: "`{key: gpu, operator: Exists, effect: NoSchedule}`, or `{key: gpu, operator: Equal,\nvalue: \"true\"}`",
};

/// `priority-class`: Checks a PriorityClass Slipway creates: its value is at most 1,000,000,000.
pub const PRIORITY_CLASS: Code = Code {
    id: "priority-class",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks a PriorityClass Slipway creates: its value is at most 1,000,000,000.",
    why: "Higher values are reserved for the `system-` classes; the API server rejects the PriorityClass, and every pod referring to it is then rejected too.",
    example: "`priorityClass: {name: ai-critical, value: 2000000000}`",
    instead: "`priorityClass: {name: ai-critical, value: 1000000}`",
};

/// `model-source`: Checks `model`: an absolute `path` ending in `.onnx`, model versions that are path segments, an object-store `uri` that the init container can fetch (`s3://bucket/key`, `gs://bucket/object`, `azure://account/container/blob`, `hf://org/repo[@revision]/path` or `https://…`), and warns when several inference pods share a `ReadWriteOnce` model claim.
pub const MODEL_SOURCE: Code = Code {
    id: "model-source",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks `model`: an absolute `path` ending in `.onnx`, model versions that are path segments, an object-store `uri` that the init container can fetch (`s3://bucket/key`, `gs://bucket/object`, `azure://account/container/blob`, `hf://org/repo[@revision]/path` or `https://…`), and warns when several inference pods share a `ReadWriteOnce` model claim.",
    why: "A relative path, a version with a `/`, or an `ftp://` URI renders fine and fails only when the pod starts.",
    example: "`path: models/model.onnx`",
    instead: "`path: /models/model.onnx`",
};

/// `training-job`: Checks the training Job: `backoffLimit` ≥ 0, `activeDeadlineSeconds` > 0, `ttlSecondsAfterFinished` ≥ 0, absolute and distinct mount paths, and an output it can write.
pub const TRAINING_JOB: Code = Code {
    id: "training-job",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks the training Job: `backoffLimit` ≥ 0, `activeDeadlineSeconds` > 0, `ttlSecondsAfterFinished` ≥ 0, absolute and distinct mount paths, and an output it can write.",
    why: "A Job without a deadline can hold a GPU node forever; two volumes on one path hide each other.",
    example: "`activeDeadlineSeconds: 0`",
    instead: "`activeDeadlineSeconds: 86400`",
};

/// `env-name`: Checks environment variable names, and refuses those Slipway sets for the runtime (`MODEL_PATH`, `MODEL_NAME`, `MODEL_VERSION`, `PORT`, `SLIPWAY_*`).
pub const ENV_NAME: Code = Code {
    id: "env-name",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks environment variable names, and refuses those Slipway sets for the runtime (`MODEL_PATH`, `MODEL_NAME`, `MODEL_VERSION`, `PORT`, `SLIPWAY_*`).",
    why: "A second `MODEL_PATH` would silently point the server away from the mounted model.",
    example: "`env: {MODEL_PATH: /tmp/other.onnx}`",
    instead: "`model: {path: /models/other.onnx}`",
};

/// `probe`: Checks probe paths and timings, and warns when a custom runtime keeps the default probe paths, which are `slipway-serve`'s endpoints.
pub const PROBE: Code = Code {
    id: "probe",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks probe paths and timings, and warns when a custom runtime keeps the default probe paths, which are `slipway-serve`'s endpoints.",
    why: "A probe on a path the server does not have restarts healthy pods forever.",
    example: "`runtime: {custom: {image: flask-app:1.0}}` with default probes",
    instead: "`probes: {liveness: {path: /health}, readiness: {path: /health}, startup: {path: /health}}`",
};

/// `cron-syntax`: Parses cron schedules (training, backup) when the spec is loaded: five fields within their ranges, or a descriptor such as `@daily`.
pub const CRON_SYNTAX: Code = Code {
    id: "cron-syntax",
    severity: Severity::Error,
    stage: Stage::Load,
    what: "Parses cron schedules (training, backup) when the spec is loaded: five fields (minute hour day-of-month month day-of-week) of numbers within their ranges, `*`, `,`, `-`, `/` or names, or a descriptor such as `@daily`.",
    why: "The API server accepts many malformed schedules (`99 99 99 99 99`, `a b c d e`), which then never fire.",
    example: "`schedule: \"every day\"`",
    instead: "`schedule: \"0 2 * * *\"`",
};

/// `duration-syntax`: Parses every duration of the spec when it is loaded (`scrapeInterval`, alert `forDuration`/`atMaxReplicasFor`, canary pauses and analysis intervals, Fluentd's flush interval).
pub const DURATION_SYNTAX: Code = Code {
    id: "duration-syntax",
    severity: Severity::Error,
    stage: Stage::Load,
    what: "Parses every duration of the spec when it is loaded (`scrapeInterval`, alert `forDuration`/`atMaxReplicasFor`, canary pauses and analysis intervals, Fluentd's `flushInterval`): digits and units from the largest to the smallest, each once, above zero.",
    why: "The Prometheus operator rejects the ServiceMonitor or rule group (`30s1m`, `30 seconds`), and the alerts silently never load; Argo Rollouts and Fluentd misread what they cannot parse.",
    example: "`scrapeInterval: 30 seconds`, `scrapeInterval: 30s1m` or `scrapeInterval: 30`",
    instead: "`scrapeInterval: 30s`",
};

/// `int-or-percent-syntax`: Parses `maxSurge`/`maxUnavailable` (rolling update, disruption budget) when the spec is loaded: a whole number or a percentage.
pub const INT_OR_PERCENT_SYNTAX: Code = Code {
    id: "int-or-percent-syntax",
    severity: Severity::Error,
    stage: Stage::Load,
    what: "Parses `rollout.maxSurge`, `rollout.maxUnavailable` and `scaling.disruptionBudget.maxUnavailable` when the spec is loaded: a whole number of pods (`1`) or a percentage (`\"25%\"`), as Kubernetes' int-or-string.",
    why: "The API server rejects a quoted number (`\"1\"`), a fraction or a negative count only when the Deployment or budget is applied.",
    example: "`maxSurge: \"1\"`, `maxSurge: 1.5` or `maxUnavailable: one`",
    instead: "`maxSurge: 1` or `maxSurge: 25%`",
};

/// `rollout-values`: Checks `rollout.maxSurge` and `rollout.maxUnavailable`: not both zero, and `maxUnavailable` at most 100%.
pub const ROLLOUT_VALUES: Code = Code {
    id: "rollout-values",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks `rollout.maxSurge` and `rollout.maxUnavailable`: not both zero, and `maxUnavailable` at most 100%.",
    why: "The API server rejects a Deployment whose update could never make progress.",
    example: "`maxSurge: 0` with `maxUnavailable: 0`",
    instead: "`maxSurge: 25%` with `maxUnavailable: 0`",
};

/// `gpu-count`: Checks `scheduling.gpu.count` and `training.gpus`: GPUs are whole numbers (0 for none).
pub const GPU_COUNT: Code = Code {
    id: "gpu-count",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks `scheduling.gpu.count` and `training.gpus`: GPUs are whole numbers (0 for none).",
    why: "Extended resources cannot be overcommitted or split: `0.5` GPUs is rejected by the API server, and a GPU request must equal its limit. The spec cannot express requests ≠ limits for GPUs (one `count` sets both, see `compile::pod::resources`), so no rule is needed for that; `validate::bundle` still checks the compiled pods.",
    example: "`gpu: {count: 0.5}`",
    instead: "`gpu: {count: 1}` (use MIG or time-slicing profiles with their own resource names to share)",
};

/// `model-format`: Warns when `model.path` does not end in `.onnx` while the built-in runtime serves it.
pub const MODEL_FORMAT: Code = Code {
    id: "model-format",
    severity: Severity::Warning,
    stage: Stage::Spec,
    what: "Warns when `model.path` does not end in `.onnx` while the built-in runtime serves it.",
    why: "slipway-serve loads ONNX files only; another format fails at start-up, after the rollout began.",
    example: "`model: {path: /models/model.pt}`",
    instead: "`model: {path: /models/model.onnx}` (export the model to ONNX), or a custom runtime",
};

/// `model-claim-access`: Warns when the model's PersistentVolumeClaim is `ReadWriteOnce` but several inference pods mount it (more than one replica, an HPA, or blue/green).
pub const MODEL_CLAIM_ACCESS: Code = Code {
    id: "model-claim-access",
    severity: Severity::Warning,
    stage: Stage::Spec,
    what: "Warns when the model's PersistentVolumeClaim is `ReadWriteOnce` but several inference pods mount it (more than one replica, an HPA, or blue/green).",
    why: "A ReadWriteOnce volume attaches to one node: pods scheduled elsewhere stay `ContainerCreating` forever.",
    example: "`source: {pvc: {claimName: models, accessMode: ReadWriteOnce}}` with `replicas: 3`",
    instead: "`accessMode: ReadOnlyMany`, or an `objectStore` source fetched by each pod",
};

/// `unused-credentials`: Warns when an object-store model source names a `credentialsSecret` for a URI scheme that does not use it.
pub const UNUSED_CREDENTIALS: Code = Code {
    id: "unused-credentials",
    severity: Severity::Warning,
    stage: Stage::Spec,
    what: "Warns when an object-store model source names a `credentialsSecret` for a URI scheme that does not use it.",
    why: "The Secret is mounted but never read, which suggests the URI or the scheme is not what was meant.",
    example: "`objectStore: {uri: https://models.example.com/m.onnx, credentialsSecret: s3-creds}`",
    instead: "drop `credentialsSecret`, or use an `s3://` or `gs://` URI",
};

/// `probe-timeout`: Warns when a probe's `timeoutSeconds` is longer than its `periodSeconds`.
pub const PROBE_TIMEOUT: Code = Code {
    id: "probe-timeout",
    severity: Severity::Warning,
    stage: Stage::Spec,
    what: "Warns when a probe's `timeoutSeconds` is longer than its `periodSeconds`.",
    why: "Probes then overlap: a slow endpoint gets a second probe before the first timed out, doubling load on a struggling pod.",
    example: "`readiness: {periodSeconds: 5, timeoutSeconds: 10}`",
    instead: "`readiness: {periodSeconds: 10, timeoutSeconds: 5}`",
};

/// `probe-paths`: Warns when a custom runtime keeps slipway-serve's `/v2/health/*` probe paths.
pub const PROBE_PATHS: Code = Code {
    id: "probe-paths",
    severity: Severity::Warning,
    stage: Stage::Spec,
    what: "Warns when a custom runtime keeps slipway-serve's `/v2/health/*` probe paths.",
    why: "A server that does not have those endpoints answers 404: its pods never become ready and are restarted in a loop.",
    example: "`runtime: {custom: {image: my/server:1.0}}` with the default probes",
    instead: "`probes: {readiness: {path: /healthz}, liveness: {path: /healthz}}` (the paths your server has)",
};

/// `rbac-subject-namespace`: Warns when an RBAC subject of kind `User` or `Group` carries a `namespace`.
pub const RBAC_SUBJECT_NAMESPACE: Code = Code {
    id: "rbac-subject-namespace",
    severity: Severity::Warning,
    stage: Stage::Spec,
    what: "Warns when an RBAC subject of kind `User` or `Group` carries a `namespace`.",
    why: "Users and groups are not namespaced: Kubernetes ignores the field, so a reader believes access is narrower than it is.",
    example: "`subjects: [{kind: User, name: alice, namespace: team-a}]`",
    instead: "`subjects: [{kind: User, name: alice}]`, or `kind: ServiceAccount` if a service account was meant",
};

/// `zero-replicas`: Warns when `inference.replicas` is 0 and no autoscaler raises it.
pub const ZERO_REPLICAS: Code = Code {
    id: "zero-replicas",
    severity: Severity::Warning,
    stage: Stage::Spec,
    what: "Warns when `inference.replicas` is 0 and no autoscaler raises it.",
    why: "The application deploys cleanly and answers nothing; no other check would say so.",
    example: "`inference: {replicas: 0}`",
    instead: "`inference: {replicas: 2}`",
};

/// `replicas-ignored`: Warns when `inference.replicas` is written but an autoscaler owns the count and the value lies outside its bounds.
pub const REPLICAS_IGNORED: Code = Code {
    id: "replicas-ignored",
    severity: Severity::Warning,
    stage: Stage::Spec,
    what: "Warns when `inference.replicas` is written while an HPA or KEDA scales the Deployment and the value lies outside the autoscaler's `minReplicas`..`maxReplicas`.",
    why: "With an autoscaler the Deployment carries no `replicas` (a GitOps sync must not reset the autoscaler's count), so the written value is ignored: `replicas: 1` with `minReplicas: 5` runs five pods, `replicas: 20` with `maxReplicas: 10` never runs twenty.",
    example: "`inference: {replicas: 1}` with `scaling: {hpa: {minReplicas: 5, maxReplicas: 10}}`",
    instead: "leave `replicas` out and set `scaling.hpa.minReplicas` to the count you want at least",
};

/// `missing-limits`: Warns when the inference container has no memory limit.
pub const MISSING_LIMITS: Code = Code {
    id: "missing-limits",
    severity: Severity::Warning,
    stage: Stage::Spec,
    what: "Warns when the inference container has no memory limit.",
    why: "A pod without a memory limit can take a node's memory and get other pods evicted; Slipway's memory alert is a share of the limit, so it has nothing to compare with.",
    example: "`resources: {requests: {memory: 2Gi}}`",
    instead: "`resources: {requests: {memory: 2Gi}, limits: {memory: 4Gi}}`",
};

/// `builtin-runtime-gpu`: The built-in runtime (`slipway-serve`) requests GPUs.
pub const BUILTIN_RUNTIME_GPU: Code = Code {
    id: "builtin-runtime-gpu",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "The built-in runtime (`slipway-serve`) requests GPUs (`scheduling.gpu.count` above 0).",
    why: "slipway-serve runs the model with tract on the CPU: every GPU it requests sits idle while no other pod can use it, the GPU panel reads 0, and each replica waits for a GPU node.",
    example: "`scheduling: {gpu: {count: 1}}` with the default `inference.runtime`",
    instead: "drop `scheduling.gpu.count` (keep `scheduling.gpu.resourceName` for `training.gpus`);\nor serve with a runtime that uses GPUs: `inference: {runtime: {custom: {image: …}}}`",
};

/// `batching-settings`: slipway-serve's dynamic batching settings cannot work as written.
pub const BATCHING_SETTINGS: Code = Code {
    id: "batching-settings",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Rejects `inference.runtime.slipwayServe.batching` settings that cannot work: `maxBatchSize` 0, a `maxQueueDelayMicroseconds` above what the server accepts (10 s), or a queue delay that reaches the p99 latency alert bound.",
    why: "The server refuses to start with a batch of 0 rows or a delay over 10 s (every pod crash-loops); and a request that arrives alone waits the whole delay, so a delay at the p99 bound fires the latency alert whenever traffic is light.",
    example: "`batching: {maxQueueDelayMicroseconds: 2000000}` with `monitoring.alerts.latencyP99Seconds: 1`",
    instead: "a delay well under the latency budget (`maxQueueDelayMicroseconds: 500`, or 0 to batch only what queues while the model is busy); `maxBatchSize: 1` to turn batching off",
};

/// `model-path-unversioned`: Blue/green colors serve different model versions from one unversioned file.
pub const MODEL_PATH_UNVERSIONED: Code = Code {
    id: "model-path-unversioned",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "The blue/green colors serve different model versions, but `model.path` (or `model.source.objectStore.uri`) has no `{version}`, so both load the same file.",
    why: "Each server reports the version it was told while loading the one file there is: a switch changes the reported version, not the model, and a rollback cannot go back to the old model.",
    example: "`model: {path: /models/model.onnx}` with `blue: {modelVersion: \"1\"}` and `green: {modelVersion: \"2\"}`",
    instead: "`model: {path: /models/{version}/model.onnx}` (the default), and for an object store\n`uri: s3://models/app/{version}/model.onnx`",
};

/// `blue-green-identical`: Both blue/green colors run the same image and the same model version while the idle color runs.
pub const BLUE_GREEN_IDENTICAL: Code = Code {
    id: "blue-green-identical",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Both blue/green colors run the same image and the same model version while the idle color runs (`idleReplicas` above 0).",
    why: "The idle color is paid for as the next release (checked through `<app>-preview`) or the rollback target; identical to the active one, it is neither: a switch or a rollback changes nothing that runs, and the spec suggests a way back that does not exist. An error rather than a warning because that false safety is the harm; the legitimate identical state (the first release, or a retired old color) is expressed by stopping the idle color with `idleReplicas: 0`.",
    example: "`blueGreen: {blue: {image: app:v2}, green: {image: app:v2}}` with one `model.version`",
    instead: "put the next release (a new `image` or `modelVersion`) in the idle color, check it through\nthe `<app>-preview` Service, then switch `active`; or set `idleReplicas: 0` while there is none",
};

/// `job-ttl-under-self-heal`: A training Job synced by Argo CD with self-heal has `ttlSecondsAfterFinished`.
pub const JOB_TTL_UNDER_SELF_HEAL: Code = Code {
    id: "job-ttl-under-self-heal",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "A Job that Argo CD syncs from Git with self-heal, and that is not a hook, has `ttlSecondsAfterFinished`.",
    why: "When the TTL deletes the finished Job, self-heal sees it missing from the cluster and creates it again: the training (hours on a GPU) runs again after every TTL, for ever.",
    example: "`training: {ttlSecondsAfterFinished: 86400}` with `gitops: {syncPolicy: {selfHeal: true}}`",
    instead: "leave `ttlSecondsAfterFinished` unset (the default): the finished Job stays as the record\nof the trained version, and a changed Job is replaced by the sync and runs once. (A\n`preSyncHook` is no fix for training: a hook runs again on every sync, i.e. every commit.)",
};

/// `selector-mismatch`: A workload's selector does not match its own pod template, or a Service selects no pod of the application.
pub const SELECTOR_MISMATCH: Code = Code {
    id: "selector-mismatch",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "A workload's selector does not match its own pod template, or a Service selects no pod of the application.",
    why: "The API server rejects the first; the second is a Service with no endpoints, which answers nothing.",
    example: "a Deployment selecting `app: api` whose pods are labelled `app: api-v2`",
    instead: "one label helper for selectors and pod labels (Slipway's `app.kubernetes.io/*` labels)",
};

/// `service-selects-several-workloads`: A Service selects the pods of more than one workload (e.g.
pub const SERVICE_SELECTS_SEVERAL_WORKLOADS: Code = Code {
    id: "service-selects-several-workloads",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "A Service selects the pods of more than one workload (e.g. both blue and green).",
    why: "Traffic is then split between colors, which defeats a blue/green switch: the source article's `app: ai-inference` selector does exactly this.",
    example: "a Service selecting `app: ai-inference` over blue and green Deployments",
    instead: "add the color to the selector: `slipway.dev/color: green`",
};

/// `unknown-port`: A Service's `targetPort` names a port that the selected pods do not declare.
pub const UNKNOWN_PORT: Code = Code {
    id: "unknown-port",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "A Service's `targetPort` names a port that the selected pods do not declare.",
    why: "The Service has endpoints but connections to them are refused.",
    example: "`targetPort: http` on pods whose port is named `web`",
    instead: "name the container port `http` (Slipway does), or target the number",
};

/// `read-only-root-without-tmp`: A container has `readOnlyRootFilesystem: true` but no writable volume at `/tmp`.
pub const READ_ONLY_ROOT_WITHOUT_TMP: Code = Code {
    id: "read-only-root-without-tmp",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "A container has `readOnlyRootFilesystem: true` but no writable volume at `/tmp`.",
    why: "Many libraries write temporary files; the container then fails at run time, not at deploy time.",
    example: "`securityContext: {readOnlyRootFilesystem: true}` with no `/tmp` mount",
    instead: "an `emptyDir` mounted at `/tmp` (Slipway adds one to every pod)",
};

/// `pod-security`: A pod in a namespace that enforces Pod Security "restricted" does not meet it (non-root, no privilege escalation, all capabilities dropped, seccomp `RuntimeDefault`).
pub const POD_SECURITY: Code = Code {
    id: "pod-security",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "A pod in a namespace that enforces Pod Security \"restricted\" does not meet it (non-root, no privilege escalation, all capabilities dropped, seccomp `RuntimeDefault`).",
    why: "The API server refuses to create the pods: the Deployment exists but its ReplicaSet never gets a pod.",
    example: "a container without `seccompProfile`",
    instead: "`securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}`",
};

/// `pdb-selector`: A PodDisruptionBudget covers the pods of several workloads, or none.
pub const PDB_SELECTOR: Code = Code {
    id: "pdb-selector",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "A PodDisruptionBudget covers the pods of several workloads, or none.",
    why: "A budget over two colors lets a drain take all pods of one color; a budget over nothing protects nothing.",
    example: "one PDB selecting `app: ai-inference` over blue and green",
    instead: "one PDB per workload and color",
};

/// `scale-target`: An HPA or VPA targets a workload that the bundle does not contain.
pub const SCALE_TARGET: Code = Code {
    id: "scale-target",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "An HPA or VPA targets a workload that the bundle does not contain.",
    why: "The autoscaler reports `FailedGetScale` and scales nothing.",
    example: "`scaleTargetRef: {kind: Deployment, name: ai-inference}` after the Deployment was renamed per color",
    instead: "target the Deployment the bundle emits (Slipway derives the names from one place)",
};

/// `gpu-requests-limits`: A container requests a GPU resource differently from its limit.
pub const GPU_REQUESTS_LIMITS: Code = Code {
    id: "gpu-requests-limits",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "A container requests a GPU resource differently from its limit.",
    why: "Extended resources such as `nvidia.com/gpu` cannot be overcommitted: the API server rejects requests that differ from limits.",
    example: "`requests: {nvidia.com/gpu: 1}` with no GPU limit",
    instead: "`limits: {nvidia.com/gpu: 1}` (requests default to the limit)",
};

/// `object-name`: A derived object name or label value breaks the API server's limits.
pub const OBJECT_NAME: Code = Code {
    id: "object-name",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "Checks every emitted object's name against its kind's rule (DNS-1035 label for Services, DNS-1123 label for Namespaces, DNS-1123 subdomain otherwise) and every label value against the 63-character label rule.",
    why: "Names are derived from the spec (`<app>-<color>`, `<app>-metrics`): each spec field can be valid while a derived name is not, and the API server then rejects that object in the middle of a sync.",
    example: "an application name whose `-metrics` Service name would be 64 characters",
    instead: "a shorter `metadata.name` (at most 40 characters leaves room for every suffix)",
};

/// `annotations-too-large`: An object's annotations exceed 256 KiB.
pub const ANNOTATIONS_TOO_LARGE: Code = Code {
    id: "annotations-too-large",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "Rejects an object whose annotations (keys and values together) exceed 256 KiB, the API server's limit.",
    why: "`metadata.annotations` is copied onto every object: one large value multiplies into every manifest, and the API server refuses each object that carries it.",
    example: "`metadata: {annotations: {notes: <300 KB of text>}}`",
    instead: "short annotations (a link to the document), with large data in a ConfigMap",
};

/// `config-map-too-large`: A ConfigMap's data exceed 1 MiB.
pub const CONFIG_MAP_TOO_LARGE: Code = Code {
    id: "config-map-too-large",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "Rejects a ConfigMap (the dashboard's sidecar ConfigMap, Fluentd's) whose data exceed 1 MiB, the API server's limit.",
    why: "The API server refuses the object and the sync fails; Grafana's sidecar never sees the dashboard.",
    example: "a dashboard with thousands of panels",
    instead: "fewer panels, or the dashboard file provisioned without the sidecar ConfigMap",
};

/// `promql-syntax`: An alert or dashboard expression is not valid PromQL (checked with promql-parser).
pub const PROMQL_SYNTAX: Code = Code {
    id: "promql-syntax",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "An alert or dashboard expression is not valid PromQL (checked with promql-parser).",
    why: "Prometheus rejects the whole rule group, so none of its alerts fire; a broken panel shows an error instead of data.",
    example: "`rate(slipway_http_requests_total[5m]` (unclosed)",
    instead: "the expression Slipway generates from the spec; if a quoted value (a name, a path) breaks it, fix that value",
};

/// `exposure-hostname`: Checks `exposure.hostnames`: each a DNS name (lowercase labels of letters, digits and `-`), optionally with a leading `*.` wildcard.
pub const EXPOSURE_HOSTNAME: Code = Code {
    id: "exposure-hostname",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks `exposure.hostnames`: each a DNS name (lowercase labels of letters, digits and `-`), optionally with a leading `*.` wildcard.",
    why: "The API server rejects an HTTPRoute or Ingress with such a host, and cert-manager cannot get a certificate for it: the route never serves, after the GitOps commit landed.",
    example: "`exposure: {hostnames: [\"https://models.example.com/\"]}`",
    instead: "`exposure: {hostnames: [models.example.com]}`",
};

/// `exposure-route`: Checks `exposure`: exactly one of `gateway` and `ingress`, path prefixes that are absolute, at least one path, and hostnames whenever `tls` asks for a Certificate.
pub const EXPOSURE_ROUTE: Code = Code {
    id: "exposure-route",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks `exposure`: exactly one of `gateway` and `ingress`, path prefixes that are absolute, at least one path, and hostnames whenever `tls` asks for a Certificate.",
    why: "A route with no path or backend sends nothing to the model; two routes to one host fight over it; cert-manager rejects a Certificate without dnsNames, so the listener serves no certificate.",
    example: "`exposure: {tls: {issuer: {name: letsencrypt}}, gateway: {name: public}}` without `hostnames`",
    instead: "`exposure: {hostnames: [models.example.com], tls: {issuer: {name: letsencrypt}}, gateway: {name: public}}`",
};

/// `exposure-network-policy`: Warns when the HTTPRoute's Gateway lives in a namespace the inference NetworkPolicy does not admit.
pub const EXPOSURE_NETWORK_POLICY: Code = Code {
    id: "exposure-network-policy",
    severity: Severity::Warning,
    stage: Stage::Spec,
    what: "Warns when the HTTPRoute's Gateway lives in a namespace the inference NetworkPolicy does not admit.",
    why: "The Gateway's proxies usually run in the Gateway's namespace; the NetworkPolicy then drops their connections to the pods and every routed request times out, although route, certificate and pods all look healthy.",
    example: "`exposure: {gateway: {name: public, namespace: gateway-system}}` with `security.networkPolicy.allowNamespaces: []`",
    instead: "`security: {networkPolicy: {allowNamespaces: [gateway-system]}}` (or the namespace the Gateway's data plane runs in)",
};

/// `keda-hpa-conflict`: `scaling.keda` and `scaling.hpa` are both set.
pub const KEDA_HPA_CONFLICT: Code = Code {
    id: "keda-hpa-conflict",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "`scaling.keda` and `scaling.hpa` are both set.",
    why: "KEDA creates its own HorizontalPodAutoscaler for the workload; a second HPA on the same Deployment makes the two overwrite each other's replica count every few seconds.",
    example: "`scaling: {hpa: {maxReplicas: 10, cpuUtilization: 70}, keda: {maxReplicas: 10}}`",
    instead: "one of them: `scaling: {keda: {maxReplicas: 10, targetPerPod: 8}}`",
};

/// `keda-scaler`: Checks `scaling.keda`: 1 ≤ `minReplicas` ≤ `maxReplicas`, a positive target, positive polling and cooldown periods, `idleColorToZero` only with blue/green, and a source for its query (slipway-serve's metrics, scraped because monitoring is on).
pub const KEDA_SCALER: Code = Code {
    id: "keda-scaler",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks `scaling.keda`: 1 ≤ `minReplicas` ≤ `maxReplicas`, a positive target, positive polling and cooldown periods, `idleColorToZero` only with blue/green, and a source for its query (slipway-serve's metrics, scraped because monitoring is on).",
    why: "A serving workload at zero pods exports no load metric and has no endpoints, so nothing would ever scale it up again; without the ServiceMonitor (or with a custom runtime) the query returns nothing and KEDA never scales.",
    example: "`scaling: {keda: {minReplicas: 0, maxReplicas: 5}}` on a rolling-update application",
    instead: "`scaling: {keda: {minReplicas: 1, maxReplicas: 5}}`; scale to zero only the idle blue/green color (`idleColorToZero: true`)",
};

/// `prometheus-address`: `monitoring.prometheusAddress` is not an `http://` or `https://` URL.
pub const PROMETHEUS_ADDRESS: Code = Code {
    id: "prometheus-address",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "`monitoring.prometheusAddress` is not an `http://` or `https://` URL.",
    why: "KEDA and the canary analysis query Prometheus there; a bare host name fails every query, so scaling stops and every canary is aborted.",
    example: "`monitoring: {prometheusAddress: prometheus:9090}`",
    instead: "`monitoring: {prometheusAddress: http://prometheus-operated.monitoring.svc:9090}`",
};

/// `rollout-strategy`: `rollout.canary` and `rollout.blueGreen` are both set.
pub const ROLLOUT_STRATEGY: Code = Code {
    id: "rollout-strategy",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "`rollout.canary` and `rollout.blueGreen` are both set.",
    why: "A workload is replaced one way: blue/green switches a Service between two Deployments, a canary shifts pods of one Rollout; both at once has no meaning.",
    example: "`rollout: {blueGreen: {...}, canary: {steps: [...]}}`",
    instead: "one of them",
};

/// `canary-steps`: Checks `rollout.canary.steps`: not empty, at least one `setWeight`, weights between 1 and 100 that only increase.
pub const CANARY_STEPS: Code = Code {
    id: "canary-steps",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks `rollout.canary.steps`: not empty, at least one `setWeight`, weights between 1 and 100 that only increase (pause durations are parsed at load time: `duration-syntax`).",
    why: "A canary without weights sends the new version all traffic at once; a weight that goes down, or above 100, is not a progressive rollout and Argo Rollouts rejects or misreads it.",
    example: "`canary: {steps: [{setWeight: 50}, {setWeight: 20}]}`",
    instead: "`canary: {steps: [{setWeight: 20}, {pause: {duration: 5m}}, {analysis: {}}, {setWeight: 50}]}`",
};

/// `canary-analysis`: A canary needs its metrics source: slipway-serve's metrics scraped by Prometheus (monitoring on, the built-in runtime); and valid analysis settings (`interval` and `initialDelay` like `1m`, `count` ≥ 1, `failureLimit` ≥ 0).
pub const CANARY_ANALYSIS: Code = Code {
    id: "canary-analysis",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "A canary needs its metrics source: slipway-serve's metrics scraped by Prometheus (monitoring on, the built-in runtime); and valid analysis settings (`count` ≥ 1, `failureLimit` ≥ 0; `interval` and `initialDelay` are parsed at load time: `duration-syntax`).",
    why: "The analysis queries the error ratio and p99 latency of the new pods; with no series every measurement is inconclusive and every rollout stops half-way, or a broken version is promoted unmeasured.",
    example: "`monitoring: {enabled: false}` with `rollout: {canary: {...}}`",
    instead: "keep monitoring on (the default) with the built-in runtime",
};

/// `model-store-identity`: Checks how an object-store model gets credentials: a workload identity of the store's cloud (`aws` for `s3://`, `gcp` for `gs://`, `azure` for `azure://`), none for `hf://` and `https://`, and not both an identity and a `credentialsSecret`.
pub const MODEL_STORE_IDENTITY: Code = Code {
    id: "model-store-identity",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks how an object-store model gets credentials: a workload identity of the store's cloud (`aws` for `s3://`, `gcp` for `gs://`, `azure` for `azure://`), none for `hf://` and `https://`, and not both an identity and a `credentialsSecret`.",
    why: "An IAM role cannot read a Google bucket: the fetch init container fails with 403 and the pod never starts. With both an identity and a Secret it is unclear which one the tool uses.",
    example: "`objectStore: {uri: gs://models/m.onnx, identity: {aws: {roleArn: arn:aws:iam::1:role/models}}}`",
    instead: "`objectStore: {uri: gs://models/m.onnx, identity: {gcp: {serviceAccount: models@p.iam.gserviceaccount.com}}}`",
};

/// `training-distributed`: Checks `training.distributed`: GPUs per worker (≥ 1), at least one worker, no `schedule` or `preSyncHook` (a PyTorchJob is not a Job), no `training.gpus` beside `gpusPerWorker`, and data and output claims that pods on several nodes can mount (not `ReadWriteOnce`).
pub const TRAINING_DISTRIBUTED: Code = Code {
    id: "training-distributed",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks `training.distributed`: GPUs per worker (≥ 1), at least one worker, no `schedule` or `preSyncHook` (a PyTorchJob is not a Job), no `training.gpus` beside `gpusPerWorker`, and data and output claims that pods on several nodes can mount (not `ReadWriteOnce`).",
    why: "Distributed data-parallel training without GPUs is slower than one pod and still holds several nodes; a PyTorchJob cannot be a CronJob or an Argo CD hook; two GPU counts leave it unclear which one is meant; replicas on other nodes cannot mount a `ReadWriteOnce` claim and wait forever.",
    example: "`training: {distributed: {workers: 4, gpusPerWorker: 0}}`",
    instead: "`training: {distributed: {workers: 4, gpusPerWorker: 1}}`",
};

/// `autoscaler-conflict`: A workload is the target of more than one horizontal autoscaler (HPAs and KEDA ScaledObjects, whose HPA KEDA creates).
pub const AUTOSCALER_CONFLICT: Code = Code {
    id: "autoscaler-conflict",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "A workload is the target of more than one horizontal autoscaler (HPAs and KEDA ScaledObjects, whose HPA KEDA creates).",
    why: "Two autoscalers overwrite each other's replica count on every sync period, so the workload flaps between their recommendations.",
    example: "an HPA and a ScaledObject both with `scaleTargetRef: {kind: Deployment, name: ai-inference}`",
    instead: "one autoscaler per workload: `scaling.keda` or `scaling.hpa`",
};

/// `model-not-delivered`: A server reads a model that nothing in the bundle writes and that the spec does not declare existing.
pub const MODEL_NOT_DELIVERED: Code = Code {
    id: "model-not-delivered",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "An inference Deployment's server reads a model file (`MODEL_PATH`) that nothing in the bundle writes (the training Job's `MODEL_OUTPUT_PATH` on the same claim, or a fetch init container downloading what the training Job uploads) and whose version `model.existingVersions` does not declare as already there.",
    why: "Every object is valid and the sync succeeds, yet the pods exit with \"missing model file\": an empty claim, a claim training never writes, a version nobody trained, or a bucket nothing uploads to.",
    example: "`model: {source: {pvc: {claimName: model-pvc}}}` with `training: {output: {claim: {claimName: model-output-pvc}}}`",
    instead: "let training write the model's claim (`training: {output: {mountPath: /output}}` defaults to\nit); or declare what is already in the store: `model: {existingVersions: [\"1\"]}`",
};

/// `backup-coverage`: The backup does not copy the claim the training Job writes.
pub const BACKUP_COVERAGE: Code = Code {
    id: "backup-coverage",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "The backup CronJob copies a claim other than the one the training Job writes its model to.",
    why: "What training produced (hours of GPU time) is exactly what a backup must keep; a backup of another claim succeeds every night while the trained models stay unprotected.",
    example: "`training: {output: {claim: {claimName: model-output-pvc}}}` with the model (and so the backup) on `model-pvc`",
    instead: "write the model where the server reads it and the backup copies it: leave\n`training.output.claim` unset (it defaults to the model's claim)",
};

// --- Environments and Argo CD: the objects as one system --------------------------------

/// `environments-share-destination`: Checks that no two environments of the spec deploy to the same cluster and namespace.
pub const ENVIRONMENTS_SHARE_DESTINATION: Code = Code {
    id: "environments-share-destination",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks that no two environments of the spec deploy to the same cluster and namespace.",
    why: "Two Argo CD Applications would then manage the same objects with different replicas and limits; under self-heal each reverts the other's sync for ever.",
    example: "`gitops: {environments: {staging: {namespace: ai}, prod: {namespace: ai}}}`",
    instead: "Leave the namespaces out (each environment gets `<namespace>-<env>`), or give each environment its own namespace or `server`.",
};

/// `name-too-long-for-argo`: Checks that every name derived for an environment fits 63 characters: its namespaces (`<namespace>-<env>`, Fluentd's) and the environment name Argo CD and the labels carry.
pub const NAME_TOO_LONG_FOR_ARGO: Code = Code {
    id: "name-too-long-for-argo",
    severity: Severity::Error,
    stage: Stage::Spec,
    what: "Checks that every name derived for an environment fits 63 characters: its namespaces (`<namespace>-<env>`, Fluentd's) and the environment name Argo CD and the labels carry.",
    why: "Argo CD creates the destination namespace (`CreateNamespace=true`) and writes names into labels, both limited to 63 characters: the first sync fails. (Application and AppProject names longer than 63 characters are shortened with a stable hash instead.)",
    example: "`metadata: {namespace: ai-applications-for-the-recommendation-platform-of-europe}` with `--env staging`",
    instead: "A shorter namespace, or `gitops.environments.staging.namespace` naming one that fits.",
};

/// `cluster-object-managed-twice`: Compiles the spec for every environment it declares and checks that no object (cluster-scoped ones above all) is emitted by two environments on the same cluster.
pub const CLUSTER_OBJECT_MANAGED_TWICE: Code = Code {
    id: "cluster-object-managed-twice",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "Compiles the spec for every environment it declares and checks that no object (cluster-scoped ones above all) is emitted by two environments on the same cluster.",
    why: "Two Applications managing one object fight over it (self-heal flips it back and forth), and deleting either Application deletes it under the other.",
    example: "`scheduling: {priorityClass: {name: ai-high, value: 1000000, shared: true}}` with no `gitops.sharedObjectsEnvironment`",
    instead: "Name the one environment that manages shared objects (`gitops.sharedObjectsEnvironment: prod`), or drop `shared` so each environment gets its own `<name>-<env>`.",
};

/// `selector-on-tracking-label`: Checks that no selector (Service, ServiceMonitor, NetworkPolicy, PodDisruptionBudget, workload) uses the label Argo CD tracking writes (`gitops.instanceLabelKey`).
pub const SELECTOR_ON_TRACKING_LABEL: Code = Code {
    id: "selector-on-tracking-label",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "Checks that no selector (Service, ServiceMonitor, NetworkPolicy, PodDisruptionBudget, workload) uses the label Argo CD tracking writes (`gitops.instanceLabelKey`).",
    why: "Under label tracking Argo CD rewrites that label to the Application's name on every object it manages: a Service or ServiceMonitor selecting the old value selects nothing, and scraping or traffic stops silently.",
    example: "`gitops: {instanceLabelKey: app.kubernetes.io/name}` (Slipway selects on `app.kubernetes.io/name`)",
    instead: "Keep Argo CD's default `app.kubernetes.io/instance` (Slipway never selects on it), `argocd.argoproj.io/instance`, or annotation tracking.",
};

/// `appproject-missing-destination`: Checks that the AppProject of the Application allows every namespace an object of the tree goes into.
pub const APPPROJECT_MISSING_DESTINATION: Code = Code {
    id: "appproject-missing-destination",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "Checks that the AppProject of the Application allows every namespace an object of the tree goes into.",
    why: "Argo CD refuses to sync an Application with an object outside its project's destinations: the first sync fails, and nothing is deployed.",
    example: "`gitops: {project: {name: ai-team, namespaces: [ai-applications]}}` while Fluentd goes to `ai-inference-logging`",
    instead: "Let Slipway emit the AppProject (leave `gitops.project` out), or add the namespace to the existing project and to `gitops.project.namespaces`.",
};

/// `appproject-missing-kind`: Checks that the AppProject of the Application allows every cluster-scoped kind of the tree in its `clusterResourceWhitelist`.
pub const APPPROJECT_MISSING_KIND: Code = Code {
    id: "appproject-missing-kind",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "Checks that the AppProject of the Application allows every cluster-scoped kind of the tree in its `clusterResourceWhitelist`.",
    why: "Argo CD refuses cluster-scoped objects whose kind the project does not whitelist: the sync fails.",
    example: "`gitops: {project: {name: ai-team, namespaces: ['*'], clusterKinds: [Namespace]}}` with a PriorityClass and Fluentd's ClusterRole in the tree",
    instead: "Let Slipway emit the AppProject, or list every kind: `clusterKinds: [Namespace, scheduling.k8s.io/PriorityClass, rbac.authorization.k8s.io/ClusterRole, rbac.authorization.k8s.io/ClusterRoleBinding]`.",
};

/// `pvc-not-protected`: Checks that every PersistentVolumeClaim Argo CD syncs carries the sync options `Prune=false` and `Delete=false`.
pub const PVC_NOT_PROTECTED: Code = Code {
    id: "pvc-not-protected",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "Checks that every PersistentVolumeClaim Argo CD syncs carries the sync options `Prune=false` and `Delete=false`.",
    why: "The Application prunes and has the resources finalizer: a claim removed from Git, or the Application deleted, deletes the claim and with it the training data and the model.",
    example: "`metadata: {annotations: {argocd.argoproj.io/sync-options: \"Prune=confirm\"}}` (the spec's options win over Slipway's)",
    instead: "Leave `argocd.argoproj.io/sync-options` out of `metadata.annotations` (Slipway sets `Prune=false,Delete=false` on claims), or include both options.",
};

/// `source-ranges-not-enforced`: Checks that a load balancer's `sourceRanges` hold end to end: the Service keeps client addresses (`externalTrafficPolicy: Local`) and the NetworkPolicy of its pods admits exactly those ranges from outside the cluster.
pub const SOURCE_RANGES_NOT_ENFORCED: Code = Code {
    id: "source-ranges-not-enforced",
    severity: Severity::Error,
    stage: Stage::Bundle,
    what: "Checks that a load balancer's `sourceRanges` hold end to end: the Service keeps client addresses (`externalTrafficPolicy: Local`) and the NetworkPolicy of its pods admits exactly those ranges from outside the cluster.",
    why: "A second way in (a NodePort main Service, a load balancer without ranges) makes the policy admit `0.0.0.0/0`, so the ranges restrict one door of two; and without `Local` the client address is replaced by a node's before the policy sees it.",
    example: "`service: {type: NodePort, external: {sourceRanges: [203.0.113.0/24]}}`",
    instead: "`service: {type: ClusterIP, external: {sourceRanges: [203.0.113.0/24]}}`, or the same `sourceRanges` on a `LoadBalancer` main Service.",
};

/// Every code, by stage, then in the order the rules run.
pub const ALL: &[&Code] = &[
    &VALUES_WITHOUT_TEMPLATE,
    &TEMPLATE_UNDEFINED,
    &TEMPLATE_SYNTAX,
    &TEMPLATE_FUEL,
    &TEMPLATE_INCLUDE,
    &TEMPLATE,
    &YAML_SYNTAX,
    &YAML_DUPLICATE_KEY,
    &YAML_LIMIT,
    &YAML_DOCUMENT,
    &SCHEMA,
    &SPEC_SHAPE,
    &QUANTITY_SYNTAX,
    &DURATION_SYNTAX,
    &CRON_SYNTAX,
    &INT_OR_PERCENT_SYNTAX,
    &BACKUP_SOURCE,
    &PRESYNC_HOOK_DEPENDENCIES,
    &IMAGE_TAG,
    &DNS_NAME,
    &LABEL_SYNTAX,
    &ALERT_THRESHOLD,
    &ALERT_WITHOUT_LIMIT,
    &LOGGING_NAMESPACE,
    &RBAC_API_GROUP,
    &RBAC_WILDCARD,
    &RBAC_VERB,
    &RBAC_SUBJECTS,
    &REQUESTS_EXCEED_LIMITS,
    &REPLICAS_RANGE,
    &HPA_BOUNDS,
    &HPA_VPA_CONFLICT,
    &DISRUPTION_BUDGET,
    &TOLERATION,
    &PRIORITY_CLASS,
    &MODEL_SOURCE,
    &TRAINING_JOB,
    &ENV_NAME,
    &PROBE,
    &ROLLOUT_VALUES,
    &GPU_COUNT,
    &MODEL_FORMAT,
    &MODEL_CLAIM_ACCESS,
    &UNUSED_CREDENTIALS,
    &PROBE_TIMEOUT,
    &PROBE_PATHS,
    &RBAC_SUBJECT_NAMESPACE,
    &RBAC_ANONYMOUS,
    &RBAC_ALL_AUTHENTICATED,
    &RBAC_DUPLICATE_BINDING,
    &ZERO_REPLICAS,
    &REPLICAS_IGNORED,
    &MISSING_LIMITS,
    &EXPOSURE_HOSTNAME,
    &EXPOSURE_ROUTE,
    &EXPOSURE_NETWORK_POLICY,
    &KEDA_HPA_CONFLICT,
    &KEDA_SCALER,
    &PROMETHEUS_ADDRESS,
    &ROLLOUT_STRATEGY,
    &CANARY_STEPS,
    &CANARY_ANALYSIS,
    &MODEL_STORE_IDENTITY,
    &TRAINING_DISTRIBUTED,
    &BUILTIN_RUNTIME_GPU,
    &BATCHING_SETTINGS,
    &MODEL_PATH_UNVERSIONED,
    &BLUE_GREEN_IDENTICAL,
    &SELECTOR_MISMATCH,
    &SERVICE_SELECTS_SEVERAL_WORKLOADS,
    &UNKNOWN_PORT,
    &READ_ONLY_ROOT_WITHOUT_TMP,
    &POD_SECURITY,
    &PDB_SELECTOR,
    &SCALE_TARGET,
    &GPU_REQUESTS_LIMITS,
    &PROMQL_SYNTAX,
    &AUTOSCALER_CONFLICT,
    &OBJECT_NAME,
    &ANNOTATIONS_TOO_LARGE,
    &CONFIG_MAP_TOO_LARGE,
    &MODEL_NOT_DELIVERED,
    &JOB_TTL_UNDER_SELF_HEAL,
    &BACKUP_COVERAGE,
    &ENVIRONMENTS_SHARE_DESTINATION,
    &NAME_TOO_LONG_FOR_ARGO,
    &CLUSTER_OBJECT_MANAGED_TWICE,
    &SELECTOR_ON_TRACKING_LABEL,
    &APPPROJECT_MISSING_DESTINATION,
    &APPPROJECT_MISSING_KIND,
    &PVC_NOT_PROTECTED,
    &SOURCE_RANGES_NOT_ENFORCED,
];
