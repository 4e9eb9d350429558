//! The objects a compilation produces: typed Kubernetes objects (k8s-openapi types, and small
//! typed structs for the custom resources Slipway emits) plus files that are not objects.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{Metadata, Resource};
use serde::Serialize;
use serde_json::Value;

macro_rules! objects {
    ($($(#[$doc:meta])* $variant:ident($ty:ty),)*) => {
        /// One Kubernetes object of a [`Bundle`]. Objects are boxed: a typed Deployment is
        /// kilobytes, and bundles are built, sorted and moved around by the dozen.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Object {
            $($(#[$doc])* $variant(Box<$ty>),)*
            /// Any other object, e.g. one a library user adds before rendering.
            Custom(Box<CustomObject>),
        }

        impl Object {
            /// `kind` of the object.
            pub fn kind(&self) -> &str {
                match self {
                    $(Self::$variant(_) => <$ty as Resource>::KIND,)*
                    Self::Custom(custom) => &custom.kind,
                }
            }

            /// `apiVersion` of the object.
            pub fn api_version(&self) -> &str {
                match self {
                    $(Self::$variant(_) => <$ty as Resource>::API_VERSION,)*
                    Self::Custom(custom) => &custom.api_version,
                }
            }

            /// `metadata` of the object.
            pub fn metadata(&self) -> &ObjectMeta {
                match self {
                    $(Self::$variant(object) => object.metadata(),)*
                    Self::Custom(custom) => &custom.metadata,
                }
            }

            /// Mutable `metadata` of the object.
            pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
                match self {
                    $(Self::$variant(object) => object.metadata_mut(),)*
                    Self::Custom(custom) => &mut custom.metadata,
                }
            }

            /// The object as JSON with `apiVersion` and `kind` set; map keys are sorted.
            pub fn to_value(&self) -> Value {
                let mut value =
                    serde_json::to_value(self.fields()).expect("Kubernetes objects serialise to JSON");
                if let Value::Object(map) = &mut value {
                    map.insert("apiVersion".into(), Value::String(self.api_version().into()));
                    map.insert("kind".into(), Value::String(self.kind().into()));
                }
                value
            }
        }

        impl Serialize for Fields<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self.0 {
                    $(Object::$variant(object) => object.serialize(serializer),)*
                    Object::Custom(custom) => custom.serialize(serializer),
                }
            }
        }

        $(impl From<$ty> for Object {
            fn from(object: $ty) -> Self {
                Self::$variant(Box::new(object))
            }
        }

        impl<'a> TryFrom<&'a Object> for &'a $ty {
            type Error = ();

            fn try_from(object: &'a Object) -> Result<Self, ()> {
                match object {
                    Object::$variant(typed) => Ok(typed.as_ref()),
                    _ => Err(()),
                }
            }
        })*
    };
}

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::autoscaling::v2 as autoscaling;
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::networking::v1 as networking;
use k8s_openapi::api::policy::v1 as policy;
use k8s_openapi::api::rbac::v1 as rbac;
use k8s_openapi::api::scheduling::v1 as scheduling;

objects! {
    /// A Namespace.
    Namespace(core::Namespace),
    /// A PriorityClass.
    PriorityClass(scheduling::PriorityClass),
    /// A ServiceAccount.
    ServiceAccount(core::ServiceAccount),
    /// A ClusterRole.
    ClusterRole(rbac::ClusterRole),
    /// A ClusterRoleBinding.
    ClusterRoleBinding(rbac::ClusterRoleBinding),
    /// A Role.
    Role(rbac::Role),
    /// A RoleBinding.
    RoleBinding(rbac::RoleBinding),
    /// A ConfigMap.
    ConfigMap(core::ConfigMap),
    /// A PersistentVolumeClaim.
    PersistentVolumeClaim(core::PersistentVolumeClaim),
    /// A NetworkPolicy.
    NetworkPolicy(networking::NetworkPolicy),
    /// A Service.
    Service(core::Service),
    /// A Deployment.
    Deployment(apps::Deployment),
    /// A DaemonSet.
    DaemonSet(apps::DaemonSet),
    /// A Job.
    Job(batch::Job),
    /// A CronJob.
    CronJob(batch::CronJob),
    /// A HorizontalPodAutoscaler.
    HorizontalPodAutoscaler(autoscaling::HorizontalPodAutoscaler),
    /// A PodDisruptionBudget.
    PodDisruptionBudget(policy::PodDisruptionBudget),
    /// A VerticalPodAutoscaler.
    VerticalPodAutoscaler(crate::k8s::crd::vpa::VerticalPodAutoscaler),
    /// An Argo CD AppProject.
    AppProject(crate::k8s::crd::argocd::AppProject),
    /// An Argo CD Application.
    Application(crate::k8s::crd::argocd::Application),
    /// A ServiceMonitor (Prometheus operator).
    ServiceMonitor(crate::k8s::crd::monitoring::ServiceMonitor),
    /// A PrometheusRule (Prometheus operator).
    PrometheusRule(crate::k8s::crd::monitoring::PrometheusRule),
    /// An Ingress.
    Ingress(networking::Ingress),
    /// A Gateway API HTTPRoute.
    HTTPRoute(crate::k8s::crd::gateway::HTTPRoute),
    /// A Gateway API ReferenceGrant.
    ReferenceGrant(crate::k8s::crd::gateway::ReferenceGrant),
    /// A cert-manager Certificate.
    Certificate(crate::k8s::crd::certmanager::Certificate),
    /// A KEDA ScaledObject.
    ScaledObject(crate::k8s::crd::keda::ScaledObject),
    /// An Argo Rollouts Rollout.
    Rollout(crate::k8s::crd::rollouts::Rollout),
    /// An Argo Rollouts AnalysisTemplate.
    AnalysisTemplate(crate::k8s::crd::rollouts::AnalysisTemplate),
    /// A Kubeflow PyTorchJob.
    PyTorchJob(crate::k8s::crd::kubeflow::PyTorchJob),
}

/// The objects of type `T` among `objects`, e.g. `typed::<Deployment>(&bundle.objects)`.
pub fn typed<'a, T: 'a>(objects: &'a [Object]) -> impl Iterator<Item = &'a T> + 'a
where
    &'a T: TryFrom<&'a Object>,
{
    objects.iter().filter_map(|object| object.try_into().ok())
}

/// The rank of a kind in rendered output: what others depend on comes first.
pub const KIND_ORDER: &[&str] = &[
    "Namespace",
    "PriorityClass",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Secret",
    "PersistentVolumeClaim",
    "Certificate",
    "ReferenceGrant",
    "NetworkPolicy",
    "Service",
    "Ingress",
    "HTTPRoute",
    "AnalysisTemplate",
    "Deployment",
    "Rollout",
    "DaemonSet",
    "Job",
    "CronJob",
    "PyTorchJob",
    "HorizontalPodAutoscaler",
    "ScaledObject",
    "VerticalPodAutoscaler",
    "PodDisruptionBudget",
    "ServiceMonitor",
    "PrometheusRule",
    "AppProject",
    "Application",
];

/// The fields of an object as its type serialises them: the typed Kubernetes objects
/// include `apiVersion` and `kind`, the custom resources and [`CustomObject`] do not (see
/// [`Object::to_value`] and `render::object_yaml`, which set them).
pub(crate) struct Fields<'a>(&'a Object);

impl Object {
    /// The object's fields as serde sees them, before `apiVersion` and `kind` are set.
    pub(crate) fn fields(&self) -> Fields<'_> {
        Fields(self)
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    /// `metadata.namespace`, empty for cluster-scoped objects.
    pub fn namespace(&self) -> &str {
        self.metadata().namespace.as_deref().unwrap_or_default()
    }

    /// The key objects are rendered in: kind rank, kind, namespace, name.
    pub fn sort_key(&self) -> (usize, &str, &str, &str) {
        let rank = KIND_ORDER
            .iter()
            .position(|kind| *kind == self.kind())
            .unwrap_or(KIND_ORDER.len());
        (rank, self.kind(), self.namespace(), self.name())
    }
}

/// A workload with one pod template: Deployment, Rollout, DaemonSet, Job, CronJob.
///
/// A PyTorchJob has one template per replica type and is not a `Workload`.
pub trait Workload {
    /// The pod template, `None` while the object has no `spec`.
    fn pod_template(&self) -> Option<&core::PodTemplateSpec>;

    /// The template's label selector, for the kinds that have one.
    fn selector_labels(&self) -> Option<&BTreeMap<String, String>> {
        None
    }

    /// The pod spec of the template.
    fn pod_spec(&self) -> Option<&core::PodSpec> {
        self.pod_template()?.spec.as_ref()
    }
}

impl Workload for apps::Deployment {
    fn pod_template(&self) -> Option<&core::PodTemplateSpec> {
        Some(&self.spec.as_ref()?.template)
    }
    fn selector_labels(&self) -> Option<&BTreeMap<String, String>> {
        self.spec.as_ref()?.selector.match_labels.as_ref()
    }
}

impl Workload for apps::DaemonSet {
    fn pod_template(&self) -> Option<&core::PodTemplateSpec> {
        Some(&self.spec.as_ref()?.template)
    }
    fn selector_labels(&self) -> Option<&BTreeMap<String, String>> {
        self.spec.as_ref()?.selector.match_labels.as_ref()
    }
}

impl Workload for crate::k8s::crd::rollouts::Rollout {
    fn pod_template(&self) -> Option<&core::PodTemplateSpec> {
        Some(&self.spec.template)
    }
    fn selector_labels(&self) -> Option<&BTreeMap<String, String>> {
        self.spec.selector.match_labels.as_ref()
    }
}

impl Workload for batch::Job {
    fn pod_template(&self) -> Option<&core::PodTemplateSpec> {
        Some(&self.spec.as_ref()?.template)
    }
}

impl Workload for batch::CronJob {
    fn pod_template(&self) -> Option<&core::PodTemplateSpec> {
        Some(&self.spec.as_ref()?.job_template.spec.as_ref()?.template)
    }
}

impl Object {
    /// The object as a [`Workload`], when it is one.
    pub fn workload(&self) -> Option<&dyn Workload> {
        match self {
            Self::Deployment(d) => Some(d.as_ref()),
            Self::DaemonSet(d) => Some(d.as_ref()),
            Self::Rollout(r) => Some(r.as_ref()),
            Self::Job(j) => Some(j.as_ref()),
            Self::CronJob(c) => Some(c.as_ref()),
            _ => None,
        }
    }

    /// Every pod template of the object: a [`Workload`]'s one, a PyTorchJob's one per
    /// replica type (in `Master`, `Worker` order); none for other kinds.
    pub fn pod_templates(&self) -> Vec<&core::PodTemplateSpec> {
        match self {
            Self::PyTorchJob(job) => job
                .spec
                .pytorch_replica_specs
                .values()
                .map(|replica| &replica.template)
                .collect(),
            _ => self
                .workload()
                .and_then(|w| w.pod_template())
                .into_iter()
                .collect(),
        }
    }
}

/// An object of a kind Slipway does not type, kept as JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomObject {
    /// `apiVersion`, e.g. `cert-manager.io/v1`.
    #[serde(skip)]
    pub api_version: String,
    /// `kind`, e.g. `Certificate`.
    #[serde(skip)]
    pub kind: String,
    /// `metadata`.
    pub metadata: ObjectMeta,
    /// Every other top-level field (`spec`, `data`, …).
    #[serde(flatten)]
    pub fields: BTreeMap<String, Value>,
}

impl From<CustomObject> for Object {
    fn from(object: CustomObject) -> Self {
        Self::Custom(Box::new(object))
    }
}

/// Everything one spec compiles into.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bundle {
    /// Kubernetes objects, in render order once [`Bundle::sort`] ran.
    pub objects: Vec<Object>,
    /// Files that are not Kubernetes objects (dashboard JSON, `fluent.conf`, CI pipelines),
    /// keyed by their path relative to the output directory.
    pub files: BTreeMap<String, String>,
}

impl Bundle {
    /// Adds an object: a typed k8s-openapi object, or a [`CustomObject`] of any other kind.
    /// Call [`Bundle::sort`] afterwards to put it in render order.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    ///
    /// use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    /// use slipway_core::spec::{AppSpec, ModelSource, VolumeClaim};
    /// use slipway_core::CustomObject;
    ///
    /// let app = AppSpec::new("demo", ModelSource::Pvc(VolumeClaim::new("models")));
    /// let mut bundle = slipway_core::compile(&app);
    /// bundle.push(CustomObject {
    ///     api_version: "monitoring.coreos.com/v1".into(),
    ///     kind: "PodMonitor".into(),
    ///     metadata: ObjectMeta { name: Some("demo".into()), ..Default::default() },
    ///     fields: BTreeMap::from([(
    ///         "spec".into(),
    ///         serde_json::json!({"podMetricsEndpoints": [{"port": "http"}]}),
    ///     )]),
    /// });
    /// bundle.sort();
    /// let monitor = bundle.find("PodMonitor", "demo").unwrap();
    /// assert_eq!(monitor.to_value()["spec"]["podMetricsEndpoints"][0]["port"], "http");
    /// // Kinds Slipway does not know render after the ones it does.
    /// assert_eq!(bundle.objects.last().unwrap().kind(), "PodMonitor");
    /// ```
    pub fn push(&mut self, object: impl Into<Object>) {
        self.objects.push(object.into());
    }

    /// Orders objects by kind rank, kind, namespace and name.
    pub fn sort(&mut self) {
        // Each key once: the kind's rank is a search of `KIND_ORDER`.
        self.objects.sort_by_cached_key(|object| {
            let (rank, kind, namespace, name) = object.sort_key();
            (rank, kind.to_owned(), namespace.to_owned(), name.to_owned())
        });
    }

    /// The objects of one kind.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Object> + 'a {
        self.objects
            .iter()
            .filter(move |object| object.kind() == kind)
    }

    /// The object of `kind` named `name`, if any.
    ///
    /// ```
    /// use slipway_core::spec::{AppSpec, ModelSource, VolumeClaim};
    ///
    /// let bundle = slipway_core::compile(&AppSpec::new(
    ///     "demo",
    ///     ModelSource::Pvc(VolumeClaim::new("models")),
    /// ));
    /// let Some(slipway_core::Object::Deployment(deployment)) = bundle.find("Deployment", "demo")
    /// else {
    ///     panic!("no Deployment named demo");
    /// };
    /// assert_eq!(deployment.spec.as_ref().unwrap().replicas, Some(2));
    /// // The main Service, and the headless one Prometheus discovers the pods through.
    /// assert_eq!(bundle.of_kind("Service").count(), 2);
    /// ```
    pub fn find(&self, kind: &str, name: &str) -> Option<&Object> {
        self.objects
            .iter()
            .find(|object| object.kind() == kind && object.name() == name)
    }
}
