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

/// Parses a quantity into its value in base units (cores, bytes).
///
/// ```
/// use slipway_core::k8s::quantity::parse_quantity;
/// assert_eq!(parse_quantity("500m").unwrap(), 0.5);
/// assert_eq!(parse_quantity("2Gi").unwrap(), 2.0 * 1024.0 * 1024.0 * 1024.0);
/// assert!(parse_quantity("2GBytes").is_err());
/// ```
pub fn parse_quantity(text: &str) -> Result<f64, QuantityError> {
    let fail = |reason| QuantityError {
        text: text.to_string(),
        reason,
    };
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if text.starts_with('-') {
        return Err(fail("resource quantities cannot be negative"));
    }
    let digits_end = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(digits_end);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return Err(fail("it must start with a number"));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| fail("the number is malformed"))?;
    let multiplier = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exponent if exponent.starts_with(['e', 'E']) => {
            let power: i32 = exponent[1..]
                .parse()
                .map_err(|_| fail("the exponent after `e` must be an integer"))?;
            10f64.powi(power)
        }
        _ => {
            return Err(fail(
                "the suffix must be one of n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent",
            ));
        }
    };
    Ok(value * multiplier)
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
            assert_eq!(parse_quantity(text), Ok(value), "{text}");
        }
    }

    #[test]
    fn rejects_what_the_api_server_rejects() {
        for text in ["2GBytes", "", "Gi", "1.2.3", "-1", "1gi", "2 Gi", "1e"] {
            assert!(parse_quantity(text).is_err(), "{text} should be rejected");
        }
    }
}
