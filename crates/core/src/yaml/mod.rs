//! Every YAML read and write of Slipway goes through this module, and through one library:
//! [`serde-saphyr`](https://docs.rs/serde-saphyr) (the YAML crate kube-rs uses). The position
//! index ([`crate::diagnostic::PositionIndex`]) walks the events of `granit-parser`, the parser
//! serde-saphyr is built on, through serde-saphyr's re-export.
//!
//! # Reading
//!
//! - One document per spec or values file; [`documents`] reads multi-document streams.
//! - YAML 1.2 core schema, as before: `yes`/`on`/`Off` stay strings, `1_000` and `0755` stay
//!   strings, `0x10` is 16. `.inf`, `.nan` and numbers too large for a float are errors (JSON,
//!   and so Kubernetes, has no such numbers).
//! - A duplicate mapping key anywhere is an error, located at the second occurrence.
//! - Aliases are replayed under a budget (an alias bomb is a located error); a normal
//!   anchor/alias pair works. Merge keys (`<<`) are expanded.
//! - Every error carries the line and column the parser knows ([`YamlError::location`]); a
//!   tab used for indentation gets a help line.
//!
//! # Writing: the output style
//!
//! - Block style, two-space indentation; a sequence inside a mapping is not indented
//!   (`ports:\n- 80`), as kubectl writes it. Empty collections are `{}` and `[]`.
//! - Keys in the order serde gives them; [`to_string_sorted`] (what the renderer writes)
//!   sorts every mapping bytewise: it writes the value's `serde_json` form, whose maps are
//!   sorted.
//! - Strings are plain unless a reader could take them for anything else. Every string that a
//!   YAML 1.1 reader (go-yaml v2 as kubectl and Argo CD use it, PyYAML) or a YAML 1.2 reader
//!   would resolve to a boolean (`true`, `yes`, `On`, `n`…), null (`null`, `~`, empty), an
//!   integer in any base or with `_` (`1_000`, `0x10`, `0o10`, `0b1`, `+1`), a float (`.5`,
//!   `1e3`, `.inf`, `.NaN`), a sexagesimal number (`12:30`), a date or timestamp, the YAML 1.1
//!   value and merge keys (`=`, `<<`), or whose text a plain scalar cannot hold (a leading
//!   indicator such as `-`, `?`, `:`, `#`, `&`, `*`, `!`, `|`, `>`, `%`, `@` or a backtick,
//!   `: ` or ` #` inside, leading or trailing spaces, tabs, control characters, NEL and the
//!   Unicode line separators) is quoted: in double quotes, with escapes where needed (`"on"`,
//!   `"1_000"`, `"a\tb"`, `"x\Ny"`), and in single quotes for a few indicator-only strings
//!   (`'.'`). Multi-line strings are literal blocks (`|`, `|-` or `|+` by their trailing line
//!   breaks, `|2` when the first line starts with a space) unless they hold a character that
//!   needs an escape. Long single-line strings are never folded. A few strings no reader
//!   mistypes but that look numeric (`0.1.0`, `::/0`) are quoted as well.
//! - Numbers as `serde_json` gives them; non-finite floats never occur (JSON has none).
//!
//! The property test `crates/core/tests/yaml_readback.rs` checks that every such string reads
//! back as itself in serde-saphyr (YAML 1.2) and in PyYAML (YAML 1.1).

#[cfg(test)]
mod tests;

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_saphyr::{DuplicateKeyPolicy, MessageFormatter, NonFiniteFloatPolicy};

use crate::diagnostic::Location;

/// Most alias-replayed events one document may expand to: far above what a spec or values
/// file needs, far below what exhausts memory.
const MAX_REPLAYED_EVENTS: usize = 100_000;

/// A YAML read or write error, with its position when the parser knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// What kind of problem it is.
    pub kind: YamlErrorKind,
    /// What is wrong, without the position.
    pub message: String,
    /// Where, when known (always known for syntax errors, duplicate keys and budgets).
    pub location: Option<Location>,
    /// How to fix it, when there is something to say (tabs used for indentation).
    pub help: Option<&'static str>,
}

/// The kinds of [`YamlError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlErrorKind {
    /// The text is not YAML (or holds more than one document where one is expected).
    Syntax,
    /// A mapping holds the same key twice.
    DuplicateKey,
    /// Aliases, nesting or size went over the reader's budget.
    Limit,
    /// The YAML is well-formed but does not fit the type read into (or holds a non-finite
    /// number).
    Type,
    /// A value could not be written as YAML.
    Write,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some(location) => write!(f, "{location}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for YamlError {}

impl From<serde_saphyr::Error> for YamlError {
    fn from(error: serde_saphyr::Error) -> Self {
        use serde_saphyr::Error as E;
        // The error itself, without the snippet and alias wrappers around it.
        let mut inner = &error;
        while let E::WithSnippet { error, .. } | E::AliasError { error, .. } = inner {
            inner = error;
        }
        let kind = match inner {
            E::DuplicateMappingKey { .. } => YamlErrorKind::DuplicateKey,
            E::Budget { .. }
            | E::AliasReplayCounterOverflow { .. }
            | E::AliasReplayLimitExceeded { .. }
            | E::AliasExpansionLimitExceeded { .. }
            | E::AliasReplayStackDepthExceeded { .. } => YamlErrorKind::Limit,
            E::ExternalMessage { .. }
            | E::Eof { .. }
            | E::MultipleDocuments { .. }
            | E::UnknownAnchor { .. }
            | E::UnexpectedContainerEndWhileReadingKeyNode { .. }
            | E::ContainerEndMismatch { .. } => YamlErrorKind::Syntax,
            _ => YamlErrorKind::Type,
        };
        let mut message = serde_saphyr::UserMessageFormatter
            .format_message(inner)
            .into_owned();
        if let E::DuplicateMappingKey { key, .. } = inner {
            message = match key {
                Some(key) => format!("duplicate mapping key `{key}`: YAML requires unique keys"),
                None => "duplicate mapping key: YAML requires unique keys".into(),
            };
        }
        // The location of the error's own node (for an alias, where it is used).
        let location = error
            .location()
            .filter(|at| at.line() > 0)
            .map(|at| Location {
                line: at.line() as usize,
                column: at.column().max(1) as usize,
            });
        let help = match kind {
            YamlErrorKind::Syntax if message.contains("tab") => Some(
                "YAML forbids tabs for indentation: indent with spaces (two per level in \
                 Slipway's examples)",
            ),
            YamlErrorKind::Limit => Some(
                "anchors and aliases are allowed, but what they expand to is bounded (an alias \
                 bomb stops here): write the repeated part out or nest fewer aliases",
            ),
            _ => None,
        };
        Self {
            kind,
            message,
            location,
            help,
        }
    }
}

impl From<serde_saphyr::SerializeError> for YamlError {
    fn from(error: serde_saphyr::SerializeError) -> Self {
        Self {
            kind: YamlErrorKind::Write,
            message: error.to_string(),
            location: None,
            help: None,
        }
    }
}

/// The reader's options: YAML 1.2 core schema as `serde_yaml` read it, strict about keys and
/// bounded.
fn read_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        duplicate_keys: DuplicateKeyPolicy::Error,
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_REPLAYED_EVENTS,
        },
        strict_booleans: true,
        underscored_numbers_as_strings: true,
        leading_zero_numbers_as_strings: true,
        non_finite_float_policy: NonFiniteFloatPolicy::Reject,
    }
}

/// The writer's options: see the module docs.
fn write_options() -> serde_saphyr::SerializerOptions {
    serde_saphyr::ser_options! {
        folded_wrap_chars: usize::MAX,
    }
}

/// Parses one YAML document into any deserialisable value (usually `serde_json::Value`). An
/// empty document is null.
///
/// ```
/// use serde_json::{Value, json};
/// use slipway_core::yaml::{YamlErrorKind, from_str};
///
/// let value: Value = from_str("mode: Off\nsize: 1_000\nbase: &b {a: 1}\ncopy: *b\n").unwrap();
/// assert_eq!(value, json!({"mode": "Off", "size": "1_000", "base": {"a": 1}, "copy": {"a": 1}}));
///
/// let error = from_str::<Value>("name: a\nname: b\n").unwrap_err();
/// assert_eq!(error.kind, YamlErrorKind::DuplicateKey);
/// assert_eq!(error.to_string(), "2:1: duplicate mapping key `name`: YAML requires unique keys");
/// ```
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_saphyr::from_str_with_options(text, read_options()).map_err(YamlError::from)
}

/// Parses every document of a multi-document YAML stream (empty documents are skipped).
pub fn documents(text: &str) -> Result<Vec<serde_json::Value>, YamlError> {
    let documents: Vec<serde_json::Value> =
        serde_saphyr::from_multiple_with_options(text, read_options())?;
    Ok(documents.into_iter().filter(|d| !d.is_null()).collect())
}

/// Serialises a value as one YAML document (no leading `---`) in the style of the module
/// docs, keys in the order serde gives them.
///
/// ```
/// let value = serde_json::json!({"updateMode": "Off", "ports": [80, 443], "labels": {}});
/// assert_eq!(
///     slipway_core::yaml::to_string(&value).unwrap(),
///     "labels: {}\nports:\n- 80\n- 443\nupdateMode: \"Off\"\n"
/// );
/// ```
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, YamlError> {
    let mut out = String::with_capacity(1024);
    serde_saphyr::to_fmt_writer_with_options(&mut out, &value, write_options())?;
    Ok(out)
}

/// Serialises a mapping as [`to_string`] does, with its top-level entries in bytewise key
/// order (keys become strings; a later duplicate key replaces the earlier one). Each entry
/// is written on its own and the texts are joined in key order, so a value whose nested
/// mappings already come in key order (k8s-openapi's objects declare their fields by JSON
/// name) is written fully sorted without building its JSON value. (An empty mapping gives an
/// empty text, where [`to_string`] writes `{}`.)
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Widget {
///     spec: serde_json::Value,
///     kind: &'static str,
///     #[serde(flatten)]
///     extra: std::collections::BTreeMap<u16, &'static str>,
///     #[serde(rename = "kind")]
///     own_kind: &'static str,
/// }
///
/// let widget = Widget {
///     spec: serde_json::json!({"type": "ClusterIP", "ports": [80]}),
///     kind: "Replaced",
///     extra: [(8080, "http")].into(),
///     own_kind: "Widget",
/// };
/// assert_eq!(
///     slipway_core::yaml::to_string_key_ordered(&widget).unwrap(),
///     "\"8080\": http\nkind: Widget\nspec:\n  ports:\n  - 80\n  type: ClusterIP\n"
/// );
/// assert!(slipway_core::yaml::to_string_key_ordered(&[1, 2]).is_err());
/// ```
pub fn to_string_key_ordered<T: Serialize + ?Sized>(value: &T) -> Result<String, YamlError> {
    let mut entries = Entries::default();
    value.serialize(&mut entries)?;
    let mut entries = entries.written;
    // Stable: of two equal keys, the later stays after the earlier and replaces it.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::with_capacity(entries.iter().map(|(_, text)| text.len()).sum());
    for (i, (key, text)) in entries.iter().enumerate() {
        if entries.get(i + 1).is_none_or(|(next, _)| next != key) {
            out.push_str(text);
        }
    }
    Ok(out)
}

/// The top-level entries of a mapping, each written as a mapping of its own, with its key.
#[derive(Default)]
struct Entries {
    written: Vec<(String, String)>,
    /// A key whose value comes next.
    key: Option<String>,
}

impl Entries {
    fn write<V: Serialize + ?Sized>(&mut self, key: String, value: &V) -> Result<(), WriteError> {
        /// One entry as a mapping.
        struct Entry<'a, V: ?Sized>(&'a str, &'a V);
        impl<V: Serialize + ?Sized> Serialize for Entry<'_, V> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(self.0, self.1)?;
                map.end()
            }
        }
        let mut text = String::with_capacity(256);
        serde_saphyr::to_fmt_writer_with_options(&mut text, &Entry(&key, value), write_options())?;
        self.written.push((key, text));
        Ok(())
    }
}

type WriteError = serde_saphyr::SerializeError;

/// Anything but a mapping is an error: only mappings have entries to order.
macro_rules! not_a_mapping {
    ($($method:ident($($arg:ty),*) -> $ok:ty),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ok, WriteError> {
            Err(serde::ser::Error::custom("only a mapping has its entries ordered"))
        })*
    };
}

impl serde::Serializer for &mut Entries {
    type Ok = ();
    type Error = WriteError;
    type SerializeSeq = serde::ser::Impossible<(), WriteError>;
    type SerializeTuple = serde::ser::Impossible<(), WriteError>;
    type SerializeTupleStruct = serde::ser::Impossible<(), WriteError>;
    type SerializeTupleVariant = serde::ser::Impossible<(), WriteError>;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = serde::ser::Impossible<(), WriteError>;

    not_a_mapping!(
        serialize_bool(bool) -> (),
        serialize_i8(i8) -> (),
        serialize_i16(i16) -> (),
        serialize_i32(i32) -> (),
        serialize_i64(i64) -> (),
        serialize_u8(u8) -> (),
        serialize_u16(u16) -> (),
        serialize_u32(u32) -> (),
        serialize_u64(u64) -> (),
        serialize_f32(f32) -> (),
        serialize_f64(f64) -> (),
        serialize_char(char) -> (),
        serialize_str(&str) -> (),
        serialize_bytes(&[u8]) -> (),
        serialize_none() -> (),
        serialize_unit() -> (),
        serialize_unit_struct(&'static str) -> (),
        serialize_unit_variant(&'static str, u32, &'static str) -> (),
        serialize_seq(Option<usize>) -> Self::SerializeSeq,
        serialize_tuple(usize) -> Self::SerializeTuple,
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct,
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant,
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant,
    );

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), WriteError> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), WriteError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), WriteError> {
        self.write(variant.to_string(), value)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self, WriteError> {
        Ok(self)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, WriteError> {
        Ok(self)
    }
}

impl serde::ser::SerializeMap for &mut Entries {
    type Ok = ();
    type Error = WriteError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), WriteError> {
        // Keys become strings, as in JSON.
        let key = serde_json::to_value(key).map_err(<WriteError as serde::ser::Error>::custom)?;
        self.key = Some(match key {
            serde_json::Value::String(key) => key,
            key => key.to_string(),
        });
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WriteError> {
        let key = self.key.take().unwrap_or_default();
        self.write(key, value)
    }

    fn end(self) -> Result<(), WriteError> {
        Ok(())
    }
}

impl serde::ser::SerializeStruct for &mut Entries {
    type Ok = ();
    type Error = WriteError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), WriteError> {
        self.write(key.to_string(), value)
    }

    fn end(self) -> Result<(), WriteError> {
        Ok(())
    }
}
