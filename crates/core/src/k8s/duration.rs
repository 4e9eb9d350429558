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
            fail(&if reason.starts_with("not a valid duration") {
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
}

super::parsed_text!(Duration, DurationError, string);

impl schemars::JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Prometheus duration: digits and units from the largest to the smallest, e.g. `30s`, `5m`, `1h30m`.",
            "type": "string",
            "pattern": "^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$"
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
        ] {
            assert!(!is_prometheus_duration(bad), "{bad}");
        }
    }
}
