#!/usr/bin/env python
"""The peer of bench/render/app.yaml for the render benchmark, as a cdk8s app (cdk8s-plus-30).

Same core objects: Namespace, PersistentVolumeClaim, Deployment (probes, resources, env, the
PVC as a volume), Service and HorizontalPodAutoscaler. `python main.py` is what `cdk8s synth`
runs for a Python app; it writes dist/inference.k8s.yaml (or the directory in CDK8S_OUTDIR).
"""
import os

import cdk8s
import cdk8s_plus_30 as kplus
from constructs import Construct

NAMESPACE = "ai-bench"
LABELS = {
    "app.kubernetes.io/name": "inference",
    "app.kubernetes.io/instance": "inference",
    "app.kubernetes.io/component": "inference",
}


class Inference(cdk8s.Chart):
    def __init__(self, scope: Construct, id: str):
        super().__init__(scope, id, namespace=NAMESPACE, labels=LABELS, disable_resource_name_hashes=True)

        kplus.Namespace(self, "namespace", metadata=cdk8s.ApiObjectMetadata(
            name=NAMESPACE, labels={"pod-security.kubernetes.io/enforce": "restricted"}))

        claim = kplus.PersistentVolumeClaim(
            self, "model-pvc",
            metadata=cdk8s.ApiObjectMetadata(name="model-pvc"),
            access_modes=[kplus.PersistentVolumeAccessMode.READ_ONLY_MANY],
            storage=cdk8s.Size.gibibytes(20),
        )

        deployment = kplus.Deployment(
            self, "inference",
            metadata=cdk8s.ApiObjectMetadata(name="inference"),
            # No fixed replicas: the HPA owns the count (cdk8s-plus refuses both).
            automount_service_account_token=False,
            security_context=kplus.PodSecurityContextProps(
                ensure_non_root=True, user=1000, group=1000, fs_group=1000),
        )
        probe = lambda path, period, failures: kplus.Probe.from_http_get(
            path, port=8000, period_seconds=cdk8s.Duration.seconds(period),
            timeout_seconds=cdk8s.Duration.seconds(2), failure_threshold=failures)
        container = deployment.add_container(
            name="server",
            image="ghcr.io/slipway-dev/slipway-serve:0.1.0",
            port_number=8000,
            env_variables={
                "LOG_LEVEL": kplus.EnvValue.from_value("info"),
                "MODEL_NAME": kplus.EnvValue.from_value("inference"),
                "MODEL_PATH": kplus.EnvValue.from_value("/models/model.onnx"),
                "PORT": kplus.EnvValue.from_value("8000"),
            },
            liveness=probe("/v2/health/live", 10, 3),
            readiness=probe("/v2/health/ready", 5, 3),
            startup=probe("/v2/health/ready", 2, 60),
            resources=kplus.ContainerResources(
                cpu=kplus.CpuResources(request=kplus.Cpu.millis(500), limit=kplus.Cpu.units(1)),
                memory=kplus.MemoryResources(request=cdk8s.Size.gibibytes(2), limit=cdk8s.Size.gibibytes(4)),
            ),
            security_context=kplus.ContainerSecurityContextProps(
                ensure_non_root=True, read_only_root_filesystem=True,
                allow_privilege_escalation=False, user=1000, group=1000),
        )
        container.mount("/tmp", kplus.Volume.from_empty_dir(
            self, "tmp", "tmp", size_limit=cdk8s.Size.mebibytes(256)))
        container.mount("/models", kplus.Volume.from_persistent_volume_claim(
            self, "model", claim, name="model", read_only=True), read_only=True)

        kplus.Service(
            self, "service",
            metadata=cdk8s.ApiObjectMetadata(name="inference"),
            selector=deployment,
            ports=[kplus.ServicePort(port=80, target_port=8000, name="http")],
        )

        kplus.HorizontalPodAutoscaler(
            self, "hpa",
            metadata=cdk8s.ApiObjectMetadata(name="inference"),
            target=deployment,
            min_replicas=2,
            max_replicas=10,
            metrics=[kplus.Metric.resource_cpu(kplus.MetricTarget.average_utilization(70))],
        )


app = cdk8s.App(outdir=os.environ.get("CDK8S_OUTDIR", "dist"))
Inference(app, "inference")
app.synth()
