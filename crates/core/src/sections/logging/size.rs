//! Buffer sizes as Fluentd reads them (`8MB`, `512m`, `1g`, `1048576`): whole digits and an
//! optional binary unit, parsed once.

/// A size in Fluentd's syntax: digits, then optionally `k`, `m`, `g` or `t` (any case, binary:
/// 1024-based) and an optional `b`. Written back as the text given.
///
/// Fluentd matches the first `<digits><unit>` anywhere in the text, so it reads `1.5g` as
/// 5 GiB and `8 MB` as 8 bytes' worth of nothing useful: such forms are rejected here.
///
/// ```
/// use slipway_core::spec::ByteSize;
///
/// let size: ByteSize = "8MB".parse().unwrap();
/// assert_eq!(size.bytes(), 8 * 1024 * 1024);
/// assert_eq!(size.to_string(), "8MB");
/// assert!("1.5g".parse::<ByteSize>().is_err());
/// assert!("8 MB".parse::<ByteSize>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ByteSize {
    text: String,
    bytes: u64,
}

/// Why a text is not a Fluentd size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a Fluentd size: {reason}")]
pub struct ByteSizeError {
    /// The offending text.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl ByteSize {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Self, ByteSizeError> {
        let fail = |reason| ByteSizeError {
            text: text.to_string(),
            reason,
        };
        let digits_end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (digits, unit) = text.split_at(digits_end);
        if digits.is_empty() {
            return Err(fail("it must start with whole digits, e.g. `8MB`"));
        }
        let unit = unit.to_ascii_lowercase();
        let unit = unit.strip_suffix('b').unwrap_or(&unit);
        let power = match unit {
            "" => 0,
            "k" => 1,
            "m" => 2,
            "g" => 3,
            "t" => 4,
            _ => {
                return Err(fail(
                    "after the digits comes an optional k, m, g or t (KiB … TiB) and an optional b, without spaces or fractions",
                ));
            }
        };
        let bytes = digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(1024u64.pow(power)))
            .ok_or_else(|| fail("it is too large"))?;
        Ok(Self {
            text: text.to_string(),
            bytes,
        })
    }

    /// The size in bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::str::FromStr for ByteSize {
    type Err = ByteSizeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl std::fmt::Display for ByteSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for ByteSize {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ByteSize;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a size such as `8MB`, `512m` or a number of bytes")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ByteSize, E> {
                ByteSize::parse(text).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<ByteSize, E> {
                self.visit_str(&value.to_string())
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<ByteSize, E> {
                self.visit_str(&value.to_string())
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl schemars::JsonSchema for ByteSize {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ByteSize".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A size as Fluentd reads it: whole digits and an optional binary unit k, m, g or t (any case, optionally followed by b), e.g. `8MB`, `512m`; or a number of bytes.",
            "type": ["string", "integer"],
            "pattern": "^[0-9]+([kKmMgGtT][bB]?)?$",
            "minimum": 0,
            "format": "fluentd-size"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_fluentd_reads_exactly() {
        for (text, bytes) in [
            ("0", 0),
            ("1048576", 1_048_576),
            ("8k", 8 * 1024),
            ("8MB", 8 * 1024 * 1024),
            ("512mb", 512 * 1024 * 1024),
            ("1G", 1024 * 1024 * 1024),
            ("2tb", 2 * 1024u64.pow(4)),
        ] {
            assert_eq!(
                ByteSize::parse(text).map(|s| s.bytes()),
                Ok(bytes),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_what_fluentd_would_misread() {
        for text in [
            "",
            "MB",
            "1.5g",
            "8 MB",
            "8MiB",
            "-1",
            "8p",
            "eight",
            "99999999999t",
        ] {
            assert!(ByteSize::parse(text).is_err(), "{text} should be rejected");
        }
        let number: ByteSize = serde_json::from_value(serde_json::json!(4096)).unwrap();
        assert_eq!(number.to_string(), "4096");
    }
}
