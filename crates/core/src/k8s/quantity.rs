//! Kubernetes resource quantities (`500m`, `2Gi`, `1.5`, `1e3`): syntax check and value, so
//! validation can compare requests with limits and alerts can use a share of a limit.

/// Why a quantity string is not a Kubernetes quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a Kubernetes quantity: {reason}")]
pub struct QuantityError {
    /// The offending text.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// A Kubernetes resource quantity, parsed once: the text as written (what the manifests
/// carry) and its exact value in nano-units, so quantities compare exactly (`1000m` equals
/// `1`, `1Gi` is more than `1G`) — never through floating point.
///
/// It reads from a YAML string or number, as the API server does (`cpu: 1`, `cpu: 0.5`,
/// `memory: 4Gi`), and writes back the text.
///
/// ```
/// use slipway_core::k8s::quantity::Quantity;
///
/// let a: Quantity = "1000m".parse().unwrap();
/// let b: Quantity = "1".parse().unwrap();
/// assert_eq!(a.cmp_value(&b), std::cmp::Ordering::Equal);
/// assert!("1Gi".parse::<Quantity>().unwrap().nanos() > "1G".parse::<Quantity>().unwrap().nanos());
/// assert_eq!(a.as_str(), "1000m");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Quantity {
    text: String,
    nanos: i128,
}

impl Quantity {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Self, QuantityError> {
        Ok(Self {
            text: text.to_string(),
            nanos: nanos(text)?,
        })
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The exact value in billionths of the base unit (cores, bytes), rounded up as the API
    /// server rounds quantities finer than `1n`.
    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    /// The value in base units as a JSON number, for the Grafana dashboard's thresholds (JSON
    /// numbers are floating point); compute with [`Quantity::percent`] first, exactly.
    pub fn as_f64(&self) -> f64 {
        self.nanos as f64 / 1e9
    }

    /// The quantity of exactly `nanos` nano-units, written as a plain decimal (`0.8`, `1024`).
    pub fn from_nanos(nanos: i128) -> Self {
        Self {
            text: decimal(nanos),
            nanos,
        }
    }

    /// The exact value in base units as a plain decimal, whatever the suffix: `1500m` → `1.5`,
    /// `1Ki` → `1024`. PromQL, Prometheus templates and readers all read it the same way.
    pub fn decimal(&self) -> String {
        decimal(self.nanos)
    }

    /// `percent`% of the value, rounded half away from zero to `decimals` decimals of the
    /// base unit (at most 9), computed exactly.
    ///
    /// ```
    /// use slipway_core::k8s::quantity::Quantity;
    ///
    /// let cpu: Quantity = "1500m".parse().unwrap();
    /// assert_eq!(cpu.percent(80, 6).as_str(), "1.2");
    /// let memory: Quantity = "1Gi".parse().unwrap();
    /// assert_eq!(memory.percent(80, 0).as_str(), "858993459"); // 858993459.2 rounded
    /// ```
    pub fn percent(&self, percent: u32, decimals: u32) -> Self {
        let step = 10i128.pow(9 - decimals.min(9));
        // In 1/100 nano-units; a quantity has at most 30 digits, so only an absurd percentage
        // could saturate.
        let hundredths = self.nanos.saturating_mul(i128::from(percent));
        let divisor = 100 * step;
        let rounded = hundredths.saturating_add(divisor / 2) / divisor * step;
        Self::from_nanos(rounded)
    }

    /// Compares values (not texts): `1000m` equals `1`.
    pub fn cmp_value(&self, other: &Self) -> std::cmp::Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl From<&Quantity> for k8s_openapi::apimachinery::pkg::api::resource::Quantity {
    fn from(quantity: &Quantity) -> Self {
        Self(quantity.text.clone())
    }
}

impl<'de> serde::Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Quantity;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a Kubernetes quantity such as `500m`, `2Gi` or `1`")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Quantity, E> {
                Quantity::parse(text).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Quantity, E> {
                self.visit_str(&value.to_string())
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Quantity, E> {
                self.visit_str(&value.to_string())
            }
            fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Quantity, E> {
                if !value.is_finite() {
                    return Err(E::custom("a quantity is a finite number"));
                }
                self.visit_str(&value.to_string())
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

crate::k8s::parsed_text!(Quantity, QuantityError);

impl schemars::JsonSchema for Quantity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Kubernetes quantity: a number with an optional suffix (m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei) or exponent, e.g. `500m`, `2Gi`, `1`, `0.5`.",
            "type": ["string", "number"],
            "pattern": "^[+]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?$",
            "minimum": 0,
            "format": "kubernetes-quantity"
        })
    }
}

/// `nanos` nano-units as a plain decimal of base units, without trailing zeros.
fn decimal(nanos: i128) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let (whole, fraction) = (
        nanos.unsigned_abs() / 1_000_000_000,
        nanos.unsigned_abs() % 1_000_000_000,
    );
    if fraction == 0 {
        format!("{sign}{whole}")
    } else {
        let fraction = format!("{fraction:09}");
        format!("{sign}{whole}.{}", fraction.trim_end_matches('0'))
    }
}

/// The exact value of `text` in nano-units.
fn nanos(text: &str) -> Result<i128, QuantityError> {
    let fail = |reason| QuantityError {
        text: text.to_string(),
        reason,
    };
    if text.starts_with('-') {
        return Err(fail("resource quantities cannot be negative"));
    }
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    let digits_end = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(digits_end);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return Err(fail("it must start with a number"));
    }
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 {
        return Err(fail("it has more digits than the API server keeps"));
    }
    let mut mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits
            .parse()
            .map_err(|_| fail("the number is malformed"))?
    };
    // value = mantissa × 10^pow10 nano-units
    let mut pow10: i32 = 9 - fraction.len() as i32;
    let binary = |power: u32| 1024i128.checked_pow(power);
    match suffix {
        "" => {}
        "n" => pow10 -= 9,
        "u" => pow10 -= 6,
        "m" => pow10 -= 3,
        "k" => pow10 += 3,
        "M" => pow10 += 6,
        "G" => pow10 += 9,
        "T" => pow10 += 12,
        "P" => pow10 += 15,
        "E" => pow10 += 18,
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
            let power = match suffix {
                "Ki" => 1,
                "Mi" => 2,
                "Gi" => 3,
                "Ti" => 4,
                "Pi" => 5,
                _ => 6,
            };
            mantissa = binary(power)
                .and_then(|factor| mantissa.checked_mul(factor))
                .ok_or_else(|| fail("it is too large"))?;
        }
        exponent if exponent.starts_with(['e', 'E']) => {
            let power: i32 = exponent[1..]
                .parse()
                .map_err(|_| fail("the exponent after `e` must be an integer"))?;
            if !(-40..=40).contains(&power) {
                return Err(fail("the exponent is out of range"));
            }
            pow10 += power;
        }
        _ => {
            return Err(fail(
                "the suffix must be one of n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent",
            ));
        }
    }
    if pow10 >= 0 {
        10i128
            .checked_pow(pow10 as u32)
            .and_then(|factor| mantissa.checked_mul(factor))
            .ok_or_else(|| fail("it is too large"))
    } else if -pow10 > 38 {
        Ok(i128::from(mantissa > 0))
    } else {
        // Finer than a nano-unit: rounded up, as the API server does.
        let divisor = 10i128.pow((-pow10) as u32);
        Ok(mantissa / divisor + i128::from(mantissa % divisor != 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_kubernetes_form() {
        for (text, value) in [
            ("1", 1.0),
            ("0.5", 0.5),
            ("250m", 0.25),
            ("4Gi", 4.0 * 1024f64.powi(3)),
            ("3.2e9", 3.2e9),
            ("128974848", 128_974_848.0),
            ("129M", 129e6),
            ("+1", 1.0),
        ] {
            assert_eq!(
                Quantity::parse(text).map(|q| q.as_f64()),
                Ok(value),
                "{text}"
            );
        }
    }

    #[test]
    fn values_are_exact() {
        let q = |text: &str| Quantity::parse(text).unwrap();
        assert_eq!(q("1000m").nanos(), q("1").nanos());
        assert_eq!(q("0.1").nanos(), 100_000_000);
        assert_eq!(q("1.5Gi").nanos(), 1_610_612_736 * 1_000_000_000);
        assert_eq!(q("1e3").nanos(), q("1k").nanos());
        assert_eq!(q("1e-3").nanos(), q("1m").nanos());
        // Finer than 1n rounds up; 0 stays 0.
        assert_eq!(q("0.1n").nanos(), 1);
        assert_eq!(q("0").nanos(), 0);
        // 0.1 + 0.2 style float error cannot happen: 300m is exactly 0.1 + 0.2.
        assert_eq!(q("0.3").nanos(), q("100m").nanos() + q("200m").nanos());
        assert!(q("8Ei").nanos() > q("8E").nanos());
    }

    #[test]
    fn shares_and_decimals_are_exact() {
        let q = |text: &str| Quantity::parse(text).unwrap();
        assert_eq!(q("1000m").decimal(), "1");
        assert_eq!(q("250m").decimal(), "0.25");
        assert_eq!(q("2Gi").decimal(), "2147483648");
        assert_eq!(q("1n").decimal(), "0.000000001");
        // 0.1 × 3 in floating point is 0.30000000000000004; here it is 0.3.
        assert_eq!(q("0.1").percent(300, 9).as_str(), "0.3");
        assert_eq!(q("1").percent(80, 6).as_str(), "0.8");
        assert_eq!(q("3").percent(33, 2).as_str(), "0.99");
        assert_eq!(q("1").percent(5, 1).as_str(), "0.1"); // 0.05 rounds half away from zero
        assert_eq!(q("1").percent(4, 1).as_str(), "0");
        assert_eq!(
            q("4Gi").percent(80, 0).nanos(),
            3_435_973_837 * 1_000_000_000
        );
        assert_eq!(Quantity::from_nanos(1_500_000_000).as_str(), "1.5");
        // No overflow, whatever the inputs.
        let huge = q("99999999999999999999999999999");
        assert!(huge.percent(u32::MAX, 0).nanos() > 0);
    }

    #[test]
    fn numbers_read_as_kubernetes_reads_them() {
        let read = |yaml: serde_json::Value| serde_json::from_value::<Quantity>(yaml);
        assert_eq!(read(serde_json::json!(1)).unwrap().as_str(), "1");
        assert_eq!(read(serde_json::json!(0.5)).unwrap().as_str(), "0.5");
        assert_eq!(
            read(serde_json::json!("250m")).unwrap().nanos(),
            250_000_000
        );
        assert!(read(serde_json::json!(-1)).is_err());
        assert!(read(serde_json::json!("2GBytes")).is_err());
        assert_eq!(
            serde_json::to_value(read(serde_json::json!(2)).unwrap()).unwrap(),
            serde_json::json!("2")
        );
    }

    #[test]
    fn rejects_what_the_api_server_rejects() {
        for text in [
            "2GBytes",
            "",
            "Gi",
            "1.2.3",
            "-1",
            "1gi",
            "2 Gi",
            "1e",
            "1e99",
            "9999999999999999999999Ei",
        ] {
            assert!(Quantity::parse(text).is_err(), "{text} should be rejected");
        }
    }
}
