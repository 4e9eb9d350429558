//! The label keys an object's selectors use, found while the object serialises: a serde
//! [`Serializer`](ser::Serializer) that keeps the field path and builds no JSON value (for a
//! bundle, building the values cost more than every other system rule together).
//!
//! A selector is any field named `selector` or ending in `Selector`. Its label keys are the
//! keys of its `matchLabels`, the `key` of each of its `matchExpressions`, and, for a selector
//! that is itself a label map (a Service's), its keys with string values.

use serde::Serialize;
use serde::ser;
use serde_json::Error;

use crate::diagnostic::join_index;

use crate::diagnostic::join_key;

/// A step into an object: a field, a map key or a list index.
#[derive(Debug, Clone)]
pub enum Step {
    /// A struct field.
    Field(&'static str),
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

impl Step {
    fn name(&self) -> Option<&str> {
        match self {
            Self::Field(name) => Some(name),
            Self::Key(name) => Some(name),
            Self::Index(_) => None,
        }
    }
}

/// The field path `steps` spell (`spec.selector.matchLabels`, `x[0].y`).
pub fn path_of(steps: &[Step]) -> String {
    steps.iter().fold(String::new(), |path, step| match step {
        Step::Field(key) => join_key(&path, key),
        Step::Key(key) => join_key(&path, key),
        Step::Index(index) => join_index(&path, *index),
    })
}

/// Calls `found(path, key)` for every label key a selector of `value` uses, with the steps to
/// the selector's field (to its `matchLabels` or `matchExpressions` for those), in the order
/// the value serialises its fields (`tests::every_form_of_selector_is_walked` shows each
/// form).
pub fn label_keys<T: Serialize + ?Sized>(value: &T, found: &mut dyn FnMut(&[Step], &str)) {
    let mut walk = Walk {
        steps: Vec::new(),
        found,
    };
    // The walk itself never fails; a value whose own Serialize fails is walked up to there.
    let _ = value.serialize(&mut Walker {
        walk: &mut walk,
        role: Role::Plain { inside: false },
        label: false,
    });
}

/// The walk: the steps to the value being serialised, and what to call with each label.
struct Walk<'f> {
    steps: Vec<Step>,
    found: &'f mut dyn FnMut(&[Step], &str),
}

/// What the value being serialised is to the walk.
#[derive(Debug, Clone, Copy)]
enum Role {
    /// Anything, `inside` a selector or not.
    Plain { inside: bool },
    /// A selector's value: a label map (a Service's) or a label selector.
    Selector,
    /// `matchLabels`: every key is a label.
    MatchLabels,
    /// `matchExpressions`: each item's `key` is a label.
    MatchExpressions,
    /// An item of `matchExpressions`, whose list is `depth` steps deep.
    Expression { depth: usize },
    /// The `key` of an expression.
    ExpressionKey { depth: usize },
    /// Nothing in it is a selector's (the rest of an expression, a list under `matchLabels`).
    Ignore,
}

impl Role {
    /// The role of the entry `name` of a map or struct in this role.
    fn of_entry(self, name: &str) -> Role {
        match self {
            Self::Plain { inside } => match name {
                "matchLabels" if inside => Self::MatchLabels,
                "matchExpressions" if inside => Self::MatchExpressions,
                _ if name == "selector" || name.ends_with("Selector") => Self::Selector,
                _ => Self::Plain { inside },
            },
            Self::Selector => Self::Plain { inside: true }.of_entry(name),
            Self::Expression { depth } if name == "key" => Self::ExpressionKey { depth },
            _ => Self::Ignore,
        }
    }

    /// The role of an item of a list in this role, `depth` steps deep.
    fn of_item(self, depth: usize) -> Role {
        match self {
            Self::Plain { inside } => Self::Plain { inside },
            Self::Selector => Self::Plain { inside: true },
            Self::MatchExpressions => Self::Expression { depth },
            _ => Self::Ignore,
        }
    }
}

/// The serializer of one value.
struct Walker<'a, 'f> {
    walk: &'a mut Walk<'f>,
    role: Role,
    /// An entry of a selector's map: its key is a label when the value is a string.
    label: bool,
}

impl<'f> Walker<'_, 'f> {
    fn compound(&mut self) -> Compound<'_, 'f> {
        Compound {
            walk: self.walk,
            role: self.role,
            index: 0,
            key: None,
        }
    }
}

/// A list, map or struct being walked.
struct Compound<'a, 'f> {
    walk: &'a mut Walk<'f>,
    role: Role,
    /// The next item's index (lists).
    index: usize,
    /// The key whose value comes next (maps).
    key: Option<String>,
}

impl Compound<'_, '_> {
    /// Walks the value of the entry `step` (a field or a key).
    fn entry<T: Serialize + ?Sized>(&mut self, step: Step, value: &T) -> Result<(), Error> {
        let name = step.name().unwrap_or_default();
        if let Role::MatchLabels = self.role {
            (self.walk.found)(&self.walk.steps, name);
            return Ok(());
        }
        let role = self.role.of_entry(name);
        let label = matches!(self.role, Role::Selector);
        self.walk.steps.push(step);
        let result = value.serialize(&mut Walker {
            walk: self.walk,
            role,
            label,
        });
        self.walk.steps.pop();
        result
    }

    /// Walks the next item of a list.
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let role = self.role.of_item(self.walk.steps.len());
        self.walk.steps.push(Step::Index(self.index));
        self.index += 1;
        let result = value.serialize(&mut Walker {
            walk: self.walk,
            role,
            label: false,
        });
        self.walk.steps.pop();
        result
    }
}

/// Scalars tell the walk nothing but a label's key.
macro_rules! scalars {
    ($($method:ident($ty:ty)),*) => {
        $(fn $method(self, _: $ty) -> Result<(), Error> {
            Ok(())
        })*
    };
}

/// Lists, maps and structs are walked by a [`Compound`].
macro_rules! compounds {
    ($($method:ident($($arg:ty),*)),*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Compound<'a, 'f>, Error> {
            Ok(self.compound())
        })*
    };
}

impl<'a, 'f> ser::Serializer for &'a mut Walker<'_, 'f> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'f>;
    type SerializeTuple = Compound<'a, 'f>;
    type SerializeTupleStruct = Compound<'a, 'f>;
    type SerializeTupleVariant = Compound<'a, 'f>;
    type SerializeMap = Compound<'a, 'f>;
    type SerializeStruct = Compound<'a, 'f>;
    type SerializeStructVariant = Compound<'a, 'f>;

    scalars!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str)
    );

    fn serialize_str(self, value: &str) -> Result<(), Error> {
        let steps = &self.walk.steps;
        if self.label {
            // The entry's key is the label; the path is the selector's.
            let (key, selector) = steps.split_last().expect("an entry has a step");
            (self.walk.found)(selector, key.name().unwrap_or_default());
        } else if let Role::ExpressionKey { depth } = self.role {
            (self.walk.found)(&steps[..depth], value);
        }
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.compound().entry(Step::Field(variant), value)
    }

    compounds!(
        serialize_seq(Option<usize>),
        serialize_tuple(usize),
        serialize_tuple_struct(&'static str, usize),
        serialize_tuple_variant(&'static str, u32, &'static str, usize),
        serialize_map(Option<usize>),
        serialize_struct(&'static str, usize),
        serialize_struct_variant(&'static str, u32, &'static str, usize)
    );
}

/// The list-like compounds: every element is an item; the struct-like ones: every field an
/// entry.
macro_rules! elements {
    ($($trait:ident::$method:ident($($name:ident: $ty:ty)?) => $walk:ident),*) => {
        $(impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;

            fn $method<T: Serialize + ?Sized>(
                &mut self,
                $($name: $ty,)?
                value: &T,
            ) -> Result<(), Error> {
                self.$walk($(Step::Field($name),)? value)
            }

            fn end(self) -> Result<(), Error> {
                Ok(())
            }
        })*
    };
}

elements!(
    SerializeSeq::serialize_element() => item,
    SerializeTuple::serialize_element() => item,
    SerializeTupleStruct::serialize_field() => item,
    SerializeTupleVariant::serialize_field() => item,
    SerializeStruct::serialize_field(name: &'static str) => entry,
    SerializeStructVariant::serialize_field(name: &'static str) => entry
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(match key.serialize(serde_json::value::Serializer)? {
            serde_json::Value::String(key) => key,
            key => key.to_string(),
        });
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self.key.take().unwrap_or_default();
        self.entry(Step::Key(key), value)
    }

    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// The reference: the same walk over the object's JSON value, as the check did before.
    fn json_label_keys(value: &Value, path: &str, inside: bool, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let at = join_key(path, key);
                    match key.as_str() {
                        "matchLabels" if inside => {
                            for label in child.as_object().into_iter().flat_map(|m| m.keys()) {
                                out.push((at.clone(), label.clone()));
                            }
                        }
                        "matchExpressions" if inside => {
                            for expression in child.as_array().into_iter().flatten() {
                                if let Some(label) = expression.get("key").and_then(Value::as_str) {
                                    out.push((at.clone(), label.to_string()));
                                }
                            }
                        }
                        _ if key == "selector" || key.ends_with("Selector") => {
                            for (label, _) in child
                                .as_object()
                                .into_iter()
                                .flatten()
                                .filter(|(_, v)| v.is_string())
                            {
                                out.push((at.clone(), label.clone()));
                            }
                            json_label_keys(child, &at, true, out);
                        }
                        _ => json_label_keys(child, &at, inside, out),
                    }
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    json_label_keys(item, &join_index(path, index), inside, out);
                }
            }
            _ => {}
        }
    }

    fn walked<T: Serialize + ?Sized>(value: &T) -> Vec<(String, String)> {
        let mut keys = Vec::new();
        label_keys(value, &mut |steps, key| {
            keys.push((path_of(steps), key.to_string()))
        });
        keys
    }

    /// For every object of every spec in every environment, the walk finds what the JSON walk
    /// finds (in the order the object serialises: the same set). The objects have label-map
    /// and `matchLabels` selectors; no spec emits `matchExpressions` (the next test has them).
    #[test]
    fn the_walk_finds_what_the_json_walk_finds() {
        let mut forms = std::collections::BTreeSet::new();
        for spec in crate::compile::testing::every_spec() {
            for env in [None, Some("staging"), Some("prod")] {
                for object in &crate::compile::compile_for(&spec, env).objects {
                    let mut expected = Vec::new();
                    json_label_keys(&object.to_value(), "", false, &mut expected);
                    let mut found = walked(&object.fields());
                    found.sort();
                    expected.sort();
                    assert_eq!(found, expected, "{} {}", object.kind(), object.name());
                    for (path, _) in found {
                        forms.insert(path.rsplit('.').next().unwrap_or_default().to_string());
                    }
                }
            }
        }
        for form in ["selector", "nodeSelector", "matchLabels"] {
            assert!(
                forms.contains(form),
                "no selector ends in {form}: {forms:?}"
            );
        }
    }

    #[test]
    fn every_form_of_selector_is_walked() {
        let value = serde_json::json!({
            "spec": {
                "selector": {"app": "web", "n": 1, "matchLabels": {"tier": "x"}},
                "nodeSelector": {"disk": "ssd"},
                "jobs": [{"namespaceSelector": {
                    "matchExpressions": [{"key": "team", "values": ["a"]}, {"operator": "Exists"}],
                }}],
                "matchLabels": {"outside": "a selector"},
                "labels": {"not": "a selector"},
            },
        });
        assert_eq!(
            walked(&value),
            [
                (
                    "spec.jobs[0].namespaceSelector.matchExpressions".into(),
                    "team".into()
                ),
                ("spec.nodeSelector".into(), "disk".into()),
                ("spec.selector".into(), "app".into()),
                ("spec.selector.matchLabels".into(), "tier".into()),
            ]
            .map(|(path, key): (String, String)| (path, key))
        );
    }
}
