//! The `serde::Serializer` that turns values into [`Emitter`] events, as `yaml_serde` 0.10's
//! `src/ser.rs` does (scalar styles, number formats, `!Variant` tags for enums), plus the
//! sorted mode that writes a value as `serde_json::to_value` would see it.

use std::fmt::{self, Display};

use serde::ser::{self, Serialize};

use super::emit::{EmitError, Emitter};
use super::key::KeySerializer;
use super::scalar::{Style, string_style};

/// Why a value could not be written.
#[derive(Debug)]
pub(super) struct Error(pub(super) String);

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(message: T) -> Self {
        Self(message.to_string())
    }
}

impl From<EmitError> for Error {
    fn from(error: EmitError) -> Self {
        Self(error.to_string())
    }
}

type Result<T = (), E = Error> = std::result::Result<T, E>;

/// How mappings and scalars are written.
#[derive(Debug, Clone, Copy)]
pub(super) enum Mode<'a> {
    /// As `yaml_serde` writes the value: keys in the order serde gives them.
    Ordered,
    /// As `yaml_serde` writes `serde_json::to_value` of the value: keys turned into strings
    /// and sorted, enums as `{variant: value}`, `char` as a string, non-finite floats as
    /// `null`, `f32` widened to `f64`; `root` entries are set on the top-level mapping.
    Sorted {
        /// Entries set on the top-level mapping after its own (they replace equal keys).
        root: &'a [(&'a str, &'a str)],
    },
}

/// Writes one value as one YAML document.
pub(super) struct Serializer<'a> {
    emitter: Emitter,
    mode: Mode<'a>,
    /// The tag of the enum variant whose value comes next (ordered mode).
    tag: Option<String>,
    /// Open collections.
    depth: usize,
    /// A map key turned into a string (sorted mode), kept to reuse its allocation.
    key: String,
    /// The root entries (sorted mode) already written in place of the value of the same key,
    /// one bit each (entries past the 64th are always appended at the end, which is as right).
    root_written: u64,
    /// The value of a root entry to write instead of the value serde gives next.
    replacement: Option<&'a str>,
}

impl<'a> Serializer<'a> {
    /// A serializer that appends to `out`, which is empty or ends with a line break.
    pub(super) fn new(mode: Mode<'a>, out: String) -> Self {
        Self {
            emitter: Emitter::new(out),
            mode,
            tag: None,
            depth: 0,
            key: String::new(),
            root_written: 0,
            replacement: None,
        }
    }

    /// Whether the value made a complete document.
    pub(super) fn check_done(&self) -> Result {
        Ok(self.emitter.check_done()?)
    }

    /// The output with the complete document appended.
    pub(super) fn finish(self) -> String {
        self.emitter.finish()
    }

    /// The output, with whatever part of the document was written before an error.
    pub(super) fn into_output(self) -> String {
        self.emitter.into_output()
    }

    fn sorted(&self) -> bool {
        matches!(self.mode, Mode::Sorted { .. })
    }

    fn scalar(&mut self, value: &str, style: Style) -> Result {
        let tag = self.tag.take();
        Ok(self.emitter.scalar(value, style, tag.as_deref())?)
    }

    fn string(&mut self, value: &str) -> Result {
        self.scalar(value, string_style(value))
    }

    fn sequence_start(&mut self) -> Result {
        let tag = self.tag.take();
        self.depth += 1;
        Ok(self.emitter.sequence_start(tag.as_deref())?)
    }

    fn sequence_end(&mut self) -> Result {
        self.depth -= 1;
        Ok(self.emitter.sequence_end()?)
    }

    fn mapping_start(&mut self) -> Result {
        let tag = self.tag.take();
        self.depth += 1;
        let sorted = self.sorted();
        Ok(self.emitter.mapping_start(tag.as_deref(), sorted)?)
    }

    fn mapping_end(&mut self) -> Result {
        if let Mode::Sorted { root } = self.mode
            && self.depth == 1
        {
            for (index, (key, value)) in root.iter().enumerate() {
                if index >= 64 || self.root_written & (1 << index) == 0 {
                    self.string(key)?;
                    self.string(value)?;
                }
            }
        }
        self.depth -= 1;
        Ok(self.emitter.mapping_end()?)
    }

    /// Opens an enum variant that carries a value: `{variant: …}` in sorted mode (as
    /// `serde_json` writes it), the `!variant` tag of the value otherwise (as `yaml_serde`).
    fn variant_start(&mut self, variant: &str) -> Result {
        if self.sorted() {
            self.mapping_start()?;
            self.string(variant)
        } else {
            self.set_tag(variant)
        }
    }

    /// The tag of an enum variant for the node that follows (`yaml_serde`'s `FoundTag`).
    fn set_tag(&mut self, variant: &str) -> Result {
        if self.tag.is_some() {
            return Err(Error(
                "serializing nested enums in YAML is not supported yet".into(),
            ));
        }
        let tag = if variant.starts_with('!') {
            variant.to_string()
        } else {
            format!("!{variant}")
        };
        self.tag = Some(tag);
        Ok(())
    }

    /// A map key: as it is in ordered mode, as `serde_json` turns it into a string in sorted
    /// mode.
    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        if !self.sorted() {
            return key.serialize(self);
        }
        let mut text = std::mem::take(&mut self.key);
        text.clear();
        let result = key.serialize(KeySerializer(&mut text));
        let result = result.and_then(|()| self.string(&text));
        self.replacement = self.root_value(&text);
        self.key = text;
        result
    }

    /// The value of the root entry `key` is set to, when `key` is a key of the top-level
    /// mapping in sorted mode: written in place of the object's own value, so that an
    /// object that already has the entry (a Kubernetes object has its `apiVersion` and
    /// `kind`) keeps its keys in order and needs no sorting at its end.
    fn root_value(&mut self, key: &str) -> Option<&'a str> {
        let Mode::Sorted { root } = self.mode else {
            return None;
        };
        if self.depth != 1 {
            return None;
        }
        let index = root.iter().position(|(root_key, _)| *root_key == key)?;
        if index < 64 {
            self.root_written |= 1 << index;
        }
        Some(root[index].1)
    }

    /// A value of a mapping, or the root entry's value that replaces it.
    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        match self.replacement.take() {
            Some(replacement) => self.string(replacement),
            None => value.serialize(self),
        }
    }

    fn integer(&mut self, value: impl itoa::Integer) -> Result {
        self.scalar(itoa::Buffer::new().format(value), Style::Plain)
    }

    fn float<F: ryu::Float>(&mut self, value: F, infinite: Option<bool>, nan: bool) -> Result {
        let mut buffer = ryu::Buffer::new();
        let text = match (infinite, nan) {
            (Some(true), _) => ".inf",
            (Some(false), _) => "-.inf",
            (None, true) => ".nan",
            (None, false) => buffer.format_finite(value),
        };
        self.scalar(text, Style::Plain)
    }
}

/// Out of `i64`/`u64` range: `serde_json::to_value` fails there (without its
/// `arbitrary_precision` feature), so sorted mode does too.
fn out_of_json_range() -> Error {
    Error("number out of range".into())
}

impl ser::Serializer for &mut Serializer<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> Result {
        self.scalar(if v { "true" } else { "false" }, Style::Plain)
    }

    fn serialize_i8(self, v: i8) -> Result {
        self.integer(v)
    }

    fn serialize_i16(self, v: i16) -> Result {
        self.integer(v)
    }

    fn serialize_i32(self, v: i32) -> Result {
        self.integer(v)
    }

    fn serialize_i64(self, v: i64) -> Result {
        self.integer(v)
    }

    fn serialize_i128(self, v: i128) -> Result {
        if self.sorted() && i64::try_from(v).is_err() && u64::try_from(v).is_err() {
            return Err(out_of_json_range());
        }
        self.integer(v)
    }

    fn serialize_u8(self, v: u8) -> Result {
        self.integer(v)
    }

    fn serialize_u16(self, v: u16) -> Result {
        self.integer(v)
    }

    fn serialize_u32(self, v: u32) -> Result {
        self.integer(v)
    }

    fn serialize_u64(self, v: u64) -> Result {
        self.integer(v)
    }

    fn serialize_u128(self, v: u128) -> Result {
        if self.sorted() && u64::try_from(v).is_err() {
            return Err(out_of_json_range());
        }
        self.integer(v)
    }

    fn serialize_f32(self, v: f32) -> Result {
        if self.sorted() {
            return self.serialize_f64(f64::from(v));
        }
        let infinite = v.is_infinite().then_some(v.is_sign_positive());
        self.float(v, infinite, v.is_nan())
    }

    fn serialize_f64(self, v: f64) -> Result {
        if self.sorted() && !v.is_finite() {
            return self.serialize_unit();
        }
        let infinite = v.is_infinite().then_some(v.is_sign_positive());
        self.float(v, infinite, v.is_nan())
    }

    fn serialize_char(self, v: char) -> Result {
        let mut buffer = [0; 4];
        let text = v.encode_utf8(&mut buffer);
        if self.sorted() {
            return self.string(text);
        }
        self.scalar(text, Style::SingleQuoted)
    }

    fn serialize_str(self, v: &str) -> Result {
        self.string(v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result {
        if !self.sorted() {
            return Err(Error(
                "serialization and deserialization of bytes in YAML is not implemented".into(),
            ));
        }
        self.sequence_start()?;
        for byte in v {
            self.integer(*byte)?;
        }
        self.sequence_end()
    }

    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result {
        self.scalar("null", Style::Plain)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        self.string(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        if self.sorted() {
            self.mapping_start()?;
            self.string(variant)?;
            value.serialize(&mut *self)?;
            return self.mapping_end();
        }
        self.set_tag(variant)?;
        value.serialize(self)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self> {
        self.sequence_start()?;
        Ok(self)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self> {
        self.sequence_start()?;
        Ok(self)
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self> {
        self.sequence_start()?;
        Ok(self)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self> {
        self.variant_start(variant)?;
        self.sequence_start()?;
        Ok(self)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self> {
        self.mapping_start()?;
        Ok(self)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self> {
        self.mapping_start()?;
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self> {
        self.variant_start(variant)?;
        self.mapping_start()?;
        Ok(self)
    }
}

/// Sequences, tuples and tuple structs are all written as YAML sequences.
macro_rules! sequence_like {
    ($($trait:ident::$element:ident),*) => {$(
        impl ser::$trait for &mut Serializer<'_> {
            type Ok = ();
            type Error = Error;

            fn $element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
                value.serialize(&mut **self)
            }

            fn end(self) -> Result {
                self.sequence_end()
            }
        }
    )*};
}

sequence_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

impl ser::SerializeTupleVariant for &mut Serializer<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result {
        self.sequence_end()?;
        if self.sorted() {
            self.mapping_end()?;
        }
        Ok(())
    }
}

impl ser::SerializeMap for &mut Serializer<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.value(value)
    }

    fn end(self) -> Result {
        self.mapping_end()
    }
}

impl ser::SerializeStruct for &mut Serializer<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.string(key)?;
        self.replacement = self.root_value(key);
        self.value(value)
    }

    fn end(self) -> Result {
        self.mapping_end()
    }
}

impl ser::SerializeStructVariant for &mut Serializer<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.string(key)?;
        value.serialize(&mut **self)
    }

    fn end(self) -> Result {
        self.mapping_end()?;
        if self.sorted() {
            self.mapping_end()?;
        }
        Ok(())
    }
}
