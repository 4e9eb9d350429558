//! Durations as Prometheus and the Prometheus operator write them (`30s`, `1h30m`): units in
//! decreasing order, each at most once (`30s1m` is not one), parsed by `promql-parser`.

use std::time::Duration as StdDuration;

/// A Prometheus duration, parsed once: the text as written and its length.
///
/// ```
/// use slipway_core::k8s::duration::Duration;
///
/// let d: Duration = "1h30m".parse().unwrap();
/// assert_eq!(d.as_std().as_secs(), 5400);
/// assert_eq!(d.to_string(), "1h30m");
/// assert!("30s1m".parse::<Duration>().is_err()); // units out of order
/// assert!("90".parse::<Duration>().is_err()); // no unit
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Duration {
    text: String,
    value: StdDuration,
}

/// Why a text is not a Prometheus duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a Prometheus duration: {reason}")]
pub struct DurationError {
    /// The offending text.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Duration {
    /// Parses `text`: digits and a unit (`ms`, `s`, `m`, `h`, `d`, `w`, `y`), repeated with
    /// units in decreasing order, greater than zero.
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let fail = |reason: &str| DurationError {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        // promql-parser also reads a bare number as seconds; the Prometheus operator's CRDs
        // and rule `for:` fields do not.
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(fail("use digits and units, e.g. `30s`, `5m`, `1h30m`"));
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("it has no unit; write e.g. `30s`"));
        }
        let value = promql_parser::util::parse_duration(text).map_err(|reason| {
            // promql-parser wraps on overflow and then finds the sum not above zero.
            let overflowed =
                reason.contains("greater than 0") && text.bytes().any(|b| matches!(b, b'1'..=b'9'));
            fail(&if overflowed {
                "it is too large".to_string()
            } else if reason.starts_with("not a valid duration") {
                "units go from the largest to the smallest, each once (`1h30m`, not `30m1h`)"
                    .to_string()
            } else {
                reason
            })
        })?;
        Ok(Self {
            text: text.to_string(),
            value,
        })
    }

    /// The length of the duration.
    pub fn as_std(&self) -> StdDuration {
        self.value
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `value` in hours, minutes, seconds and milliseconds, the units both Prometheus and Go's
    /// `time.ParseDuration` (Argo Rollouts) read: 90 s is `1m30s`, a day `24h`. Finer than a
    /// millisecond is dropped from the text; zero (which no duration field accepts) becomes
    /// `1ms`.
    ///
    /// ```
    /// use slipway_core::k8s::duration::Duration;
    /// use std::time::Duration as Std;
    ///
    /// assert_eq!(Duration::from_std(Std::from_secs(90)).as_str(), "1m30s");
    /// assert_eq!(Duration::from_std(Std::from_secs(86_400)).as_str(), "24h");
    /// assert_eq!(Duration::from_std(Std::from_millis(1500)).as_str(), "1s500ms");
    /// ```
    pub fn from_std(value: StdDuration) -> Self {
        let millis = value.as_millis().max(1);
        let text: String = [
            (millis / 3_600_000, "h"),
            (millis / 60_000 % 60, "m"),
            (millis / 1_000 % 60, "s"),
            (millis % 1_000, "ms"),
        ]
        .into_iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, unit)| format!("{count}{unit}"))
        .collect();
        Self {
            text,
            value: value.max(StdDuration::from_millis(1)),
        }
    }

    /// The text as Go's `time.ParseDuration` reads it (Argo Rollouts' pauses and analysis
    /// intervals): as written when it uses only `h`, `m`, `s` and `ms`, else in those units
    /// (`1d` is `24h`).
    pub fn go_text(&self) -> std::borrow::Cow<'_, str> {
        if self.text.contains(['d', 'w', 'y']) {
            Self::from_std(self.value).text.into()
        } else {
            self.text.as_str().into()
        }
    }
}

crate::k8s::parsed_text!(Duration, DurationError);

impl<'de> serde::Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Duration;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a Prometheus duration such as `30s`, `5m` or `1h30m`")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Duration, E> {
                Duration::parse(text).map_err(E::custom)
            }
            // `scrapeInterval: 30` is read as the text `30`, so the error says what is missing.
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Duration, E> {
                self.visit_str(&value.to_string())
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Duration, E> {
                self.visit_str(&value.to_string())
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl schemars::JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Prometheus duration: digits and units from the largest to the smallest, e.g. `30s`, `5m`, `1h30m`.",
            "type": "string",
            "pattern": "^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$",
            "format": "prometheus-duration"
        })
    }
}

/// Whether `text` is a Prometheus duration such as `30s` or `1h30m`.
pub fn is_prometheus_duration(text: &str) -> bool {
    Duration::parse(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_durations() {
        for ok in ["30s", "5m", "1h30m", "500ms", "2d", "1y2w3d4h5m6s7ms"] {
            assert!(is_prometheus_duration(ok), "{ok}");
        }
        for bad in [
            "",
            "30",
            "30 seconds",
            "s",
            "1.5m",
            "30s1m",
            "1m1m",
            "0s",
            "-5m",
            "5M",
            "999999999999999999y",
        ] {
            assert!(!is_prometheus_duration(bad), "{bad}");
        }
    }

    #[test]
    fn numbers_get_a_unit_hint_and_other_types_are_named() {
        let read = |v: serde_json::Value| serde_json::from_value::<Duration>(v).unwrap_err();
        assert!(
            read(serde_json::json!(30))
                .to_string()
                .contains("it has no unit")
        );
        assert!(
            read(serde_json::json!(true))
                .to_string()
                .contains("expected a Prometheus duration")
        );
    }

    #[test]
    fn canonical_text_reads_back_as_the_same_length() {
        for secs in [
            1, 59, 60, 90, 300, 360, 3_599, 3_600, 5_400, 86_400, 1_209_600,
        ] {
            let d = Duration::from_std(StdDuration::from_secs(secs));
            let back = Duration::parse(d.as_str()).unwrap();
            assert_eq!(back.as_std().as_secs(), secs, "{}", d.as_str());
        }
        let day: Duration = "1d".parse().unwrap();
        assert_eq!(day.go_text(), "24h");
        let mixed: Duration = "1h30m".parse().unwrap();
        assert_eq!(mixed.go_text(), "1h30m");
    }
}
