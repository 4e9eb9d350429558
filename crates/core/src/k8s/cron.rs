//! CronJob schedules as Kubernetes reads them: five fields (minute, hour, day of month,
//! month, day of week) or a descriptor (`@daily`), parsed by the `croner` crate with seconds
//! and years disallowed, and without the extensions Kubernetes' parser lacks (`L`, `W`, `#`,
//! a `TZ=` prefix: use the CronJob's `timeZone` instead).

/// A CronJob schedule, parsed once.
///
/// ```
/// use slipway_core::k8s::cron::Schedule;
///
/// assert!("0 2 * * *".parse::<Schedule>().is_ok());
/// assert!("@daily".parse::<Schedule>().is_ok());
/// assert!("*/15 9-17 * * MON-FRI".parse::<Schedule>().is_ok());
/// assert!("99 99 99 99 99".parse::<Schedule>().is_err());
/// assert!("a b c d e".parse::<Schedule>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Schedule {
    text: String,
}

/// Why a text is not a CronJob schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a cron schedule: {reason}")]
pub struct ScheduleError {
    /// The offending text.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

/// The descriptors Kubernetes' parser (robfig/cron's standard parser) accepts.
const DESCRIPTORS: &[&str] = &[
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

/// Month and weekday names, which may contain the letters of the extensions (`JUL`, `WED`).
const NAMES: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", "MON",
    "TUE", "WED", "THU", "FRI", "SAT", "SUN",
];

impl Schedule {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let fail = |reason: String| ScheduleError {
            text: text.to_string(),
            reason,
        };
        let trimmed = text.trim();
        if trimmed.starts_with("TZ=") || trimmed.starts_with("CRON_TZ=") {
            return Err(fail(
                "a time zone in the schedule is rejected by Kubernetes; set the CronJob's timeZone"
                    .into(),
            ));
        }
        if trimmed.starts_with('@') {
            return if DESCRIPTORS.contains(&trimmed) {
                Ok(Self {
                    text: text.to_string(),
                })
            } else {
                Err(fail(format!("use one of {}", DESCRIPTORS.join(", "))))
            };
        }
        let fields = trimmed.split_whitespace().count();
        if fields != 5 {
            return Err(fail(format!(
                "it has {fields} fields; a schedule has 5: minute hour day-of-month month day-of-week"
            )));
        }
        let without_names = NAMES
            .iter()
            .fold(trimmed.to_ascii_uppercase(), |text, name| {
                text.replace(name, "")
            });
        if without_names.contains(['L', 'W', '#']) {
            return Err(fail(
                "`L`, `W` and `#` are extensions Kubernetes does not accept".into(),
            ));
        }
        if let Some(reason) = out_of_range(trimmed) {
            return Err(fail(reason));
        }
        croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Disallowed)
            .year(croner::parser::Year::Disallowed)
            .build()
            .parse(trimmed)
            .map_err(|error| fail(error.to_string()))?;
        Ok(Self {
            text: text.to_string(),
        })
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// The fields of a schedule, with the numbers each takes.
const FIELDS: [(&str, u32, u32); 5] = [
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
];

/// The first number outside its field's range, said in words (`minute 99 is not within
/// 0-59`); step sizes (`*/15`) are not values and are left to the parser.
fn out_of_range(fields: &str) -> Option<String> {
    for (field, (name, low, high)) in fields.split_whitespace().zip(FIELDS) {
        for item in field.split(',') {
            let values = item.split('/').next().unwrap_or_default();
            for number in values.split('-') {
                if let Ok(value) = number.parse::<u32>()
                    && !(low..=high).contains(&value)
                {
                    return Some(format!("{name} {value} is not within {low}-{high}"));
                }
            }
        }
    }
    None
}

crate::k8s::parsed_text!(Schedule, ScheduleError, string);

impl schemars::JsonSchema for Schedule {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CronSchedule".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A CronJob schedule: five fields (minute hour day-of-month month day-of-week, e.g. `0 2 * * *`) or a descriptor (`@daily`, `@hourly`, …).",
            "type": "string",
            "format": "cron-schedule"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_kubernetes_accepts() {
        for ok in [
            "0 2 * * *",
            "*/5 * * * *",
            "0 0 1,15 * 1-5",
            "30 3 * JAN,JUL SUN",
            "0 9 * jul wed",
            "*/15 0-6 * * mon-fri",
            "0 22 * * 1-5",
            "@weekly",
            "@hourly",
            "0 0 ? * MON",
        ] {
            assert!(
                Schedule::parse(ok).is_ok(),
                "{ok}: {:?}",
                Schedule::parse(ok)
            );
        }
    }

    #[test]
    fn out_of_range_fields_are_named() {
        let reason = |text: &str| Schedule::parse(text).unwrap_err().reason;
        assert_eq!(reason("99 99 99 99 99"), "minute 99 is not within 0-59");
        assert_eq!(reason("0 24 * * *"), "hour 24 is not within 0-23");
        assert_eq!(reason("0 0 0 * *"), "day of month 0 is not within 1-31");
        assert_eq!(reason("0 0 1 1-13 *"), "month 13 is not within 1-12");
        assert_eq!(reason("0 0 * * 1,8"), "day of week 8 is not within 0-7");
        assert!(Schedule::parse("*/45 */12 */10 */3 */2").is_ok());
    }

    #[test]
    fn rejects_what_kubernetes_rejects() {
        for bad in [
            "99 99 99 99 99",
            "a b c d e",
            "0 2 * *",
            "0 0 2 * * *",
            "0 0 L * *",
            "0 0 * * 5#3",
            "0 0 15W * *",
            "@every-day",
            "TZ=UTC 0 2 * * *",
            "60 * * * *",
            "* 24 * * *",
            "",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
