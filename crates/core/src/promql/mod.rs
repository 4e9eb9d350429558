//! PromQL checked inside Slipway: every expression the alerts and the dashboard carry is parsed
//! with the `promql-parser` crate, and the metric names it queries are read from its syntax
//! tree (never from the text), so the runtime contract test compares real names.
//! [`check`] answers "does it parse?" for many expressions quickly ([`shape`]).

mod shape;

use std::borrow::Cow;
use std::collections::BTreeSet;

use promql_parser::label::MatchOp;
use promql_parser::parser::{self, VectorSelector};

/// A parsed expression (the `promql-parser` syntax tree).
pub use promql_parser::parser::Expr;

/// Grafana's interval variables and the value they are replaced with before parsing (any
/// valid duration does: only the syntax is checked).
const GRAFANA_VARIABLES: [&str; 4] = ["$__rate_interval", "$__interval", "$__range", "$__auto"];

/// Why an expression does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{expr}` is not valid PromQL: {reason}")]
pub struct PromQlError {
    /// The expression as written.
    pub expr: String,
    /// The parser's message.
    pub reason: String,
}

impl PromQlError {
    /// The same error, naming the expression as written (before Grafana's variables were
    /// substituted).
    fn naming(self, expr: &str) -> Self {
        Self {
            expr: expr.to_string(),
            ..self
        }
    }
}

/// Parses a Prometheus expression (as in a rule's `expr`).
///
/// ```
/// use slipway_core::promql;
/// assert!(promql::parse("sum(rate(http_requests_total[5m])) > 1").is_ok());
/// assert!(promql::parse("sum(rate(http_requests_total[5m]) > ").is_err());
/// ```
pub fn parse(expr: &str) -> Result<Expr, PromQlError> {
    parser::parse(expr).map_err(|reason| PromQlError {
        expr: expr.to_string(),
        reason,
    })
}

/// Parses a Grafana target expression: Grafana's interval variables (`$__rate_interval`, …)
/// are replaced by a duration first, as Grafana does before it sends the query.
pub fn parse_grafana(expr: &str) -> Result<Expr, PromQlError> {
    parse(&substitute_grafana_variables(expr)).map_err(|error| error.naming(expr))
}

fn substitute_grafana_variables(expr: &str) -> Cow<'_, str> {
    if !expr.contains("$__") {
        return Cow::Borrowed(expr);
    }
    Cow::Owned(
        GRAFANA_VARIABLES
            .iter()
            .fold(expr.to_string(), |text, variable| {
                text.replace(variable, "1m")
            }),
    )
}

/// Checks many expressions as [`parse`] would judge them, without building syntax trees and
/// parsing each *shape* (the text with label values and numbers blanked) once: a bundle's
/// alerts and panels share a few shapes. It lives for one run; nothing is remembered across
/// runs.
///
/// ```
/// use slipway_core::promql::Checker;
/// let mut checker = Checker::default();
/// assert!(checker.check(r#"up{job="a"} == 0"#).is_ok());
/// assert!(checker.check(r#"up{job="b"} == 0"#).is_ok()); // same shape: not parsed again
/// assert!(checker.check(r#"up{job=~"(b"} == 0"#).is_err()); // the regex is checked
/// ```
#[derive(Debug, Default)]
pub struct Checker {
    memo: shape::Memo,
}

impl Checker {
    /// Checks that an expression parses, as [`parse`] does.
    pub fn check(&mut self, expr: &str) -> Result<(), PromQlError> {
        if self.memo.parses(expr, |text| parser::parse(text).is_ok()) {
            return Ok(());
        }
        parse(expr).map(drop)
    }

    /// [`Checker::check`] for a Grafana target expression ([`parse_grafana`]).
    pub fn check_grafana(&mut self, expr: &str) -> Result<(), PromQlError> {
        self.check(&substitute_grafana_variables(expr))
            .map_err(|error| error.naming(expr))
    }
}

/// Every metric name an expression selects, read from its syntax tree.
pub fn metric_names(expr: &Expr) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    collect(expr, &mut names);
    names
}

/// A histogram's or summary's series name reduced to its family: `x_bucket`, `x_sum` and
/// `x_count` → `x` (counters ending in `_total` are left alone).
pub fn family(name: &str) -> &str {
    ["_bucket", "_sum", "_count"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name)
}

fn collect(expr: &Expr, names: &mut BTreeSet<String>) {
    match expr {
        Expr::Aggregate(aggregate) => {
            collect(&aggregate.expr, names);
            if let Some(param) = &aggregate.param {
                collect(param, names);
            }
        }
        Expr::Unary(unary) => collect(&unary.expr, names),
        Expr::Binary(binary) => {
            collect(&binary.lhs, names);
            collect(&binary.rhs, names);
        }
        Expr::Paren(paren) => collect(&paren.expr, names),
        Expr::Subquery(subquery) => collect(&subquery.expr, names),
        Expr::VectorSelector(selector) => selector_name(selector, names),
        Expr::MatrixSelector(matrix) => selector_name(&matrix.vs, names),
        Expr::Call(call) => call.args.args.iter().for_each(|arg| collect(arg, names)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

fn selector_name(selector: &VectorSelector, names: &mut BTreeSet<String>) {
    if let Some(name) = &selector.name {
        names.insert(name.clone());
    }
    names.extend(
        selector
            .matchers
            .matchers
            .iter()
            .filter(|m| m.name == "__name__" && matches!(m.op, MatchOp::Equal))
            .map(|m| m.value.clone()),
    );
}

/// A PromQL string literal (double-quoted, `\` and `"` escaped) holding `value`.
pub fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `value` as a regular expression matching exactly itself (RE2 metacharacters escaped).
pub fn regex_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Formats a threshold for an expression: the shortest decimal that reads back to the same
/// number (`0.8`, `3435973836.8`); Rust never writes an exponent here.
pub fn number(value: f64) -> String {
    format!("{value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_every_kind_of_node() {
        let expr = parse(
            "histogram_quantile(0.99, sum by (le) (rate(a_bucket{x=\"1\"}[5m]))) \
             / on() group_left -(b) + max_over_time(c[1h:5m]) or {__name__=\"d\"}",
        )
        .unwrap();
        let names: Vec<String> = metric_names(&expr).into_iter().collect();
        assert_eq!(names, ["a_bucket", "b", "c", "d"]);
    }

    #[test]
    fn a_broken_expression_is_an_error_carrying_the_text() {
        let error = parse("sum(rate(x[5m])").unwrap_err();
        assert_eq!(error.expr, "sum(rate(x[5m])");
        assert!(error.to_string().contains("is not valid PromQL"));
    }

    #[test]
    fn grafana_variables_are_substituted_before_parsing() {
        assert!(parse("rate(x[$__rate_interval])").is_err());
        assert!(parse_grafana("rate(x[$__rate_interval])").is_ok());
    }

    #[test]
    fn families_drop_histogram_suffixes_only() {
        assert_eq!(family("a_seconds_bucket"), "a_seconds");
        assert_eq!(family("a_seconds_count"), "a_seconds");
        assert_eq!(family("a_total"), "a_total");
    }

    #[test]
    fn quoted_values_and_escaped_regexes_parse_back() {
        let value = "/a.b\"c\\d";
        let expr = format!("x{{route!~{}}}", quote(&regex_escape(value)));
        assert!(parse(&expr).is_ok(), "{expr}");
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
        assert_eq!(regex_escape("/v2/health.x"), "/v2/health\\.x");
    }

    #[test]
    fn numbers_are_plain_decimals() {
        assert_eq!(number(0.8), "0.8");
        assert_eq!(number(4.0 * 1024.0 * 1024.0 * 1024.0 * 0.8), "3435973836.8");
        assert_eq!(number(2.0), "2");
    }

    /// The alert expressions of the seed application, and edits of them.
    fn seed_expressions() -> Vec<String> {
        use crate::bundle::Object;
        use crate::compile::compile;
        use crate::compile::testing::seed;
        compile(&seed())
            .objects
            .iter()
            .filter_map(|object| match object {
                Object::PrometheusRule(rule) => Some(rule),
                _ => None,
            })
            .flat_map(|rule| &rule.spec.groups)
            .flat_map(|group| &group.rules)
            .map(|rule| rule.expr.clone())
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(512))]

        /// `check` never accepts what the parser rejects: random edits of real expressions
        /// (values, operators, brackets, quotes) get the parser's verdict.
        #[test]
        fn check_agrees_with_the_parser(
            pick in 0usize..64,
            edits in proptest::collection::vec(
                (0usize..400, proptest::sample::select(vec![
                    "", "\"", "'", "`", "\\", "{", "}", "(", ")", "[", "]", "=", "!", "~", ",",
                    " ", "0", "1.5", "e", "@", "x", "|", "(?", "\\p{Q}", "__name__", "by",
                    "*", "{1000}", "5m", "-",
                ])),
                0..4,
            ),
            remove in proptest::collection::vec(0usize..400, 0..3),
        ) {
            let expressions = seed_expressions();
            let mut expr = expressions[pick % expressions.len()].clone();
            for at in remove {
                let at = at % expr.len().max(1);
                if expr.is_char_boundary(at) && at < expr.len() {
                    expr.remove(at);
                }
            }
            for (at, text) in edits {
                let at = at % (expr.len() + 1);
                if expr.is_char_boundary(at) {
                    expr.insert_str(at, text);
                }
            }
            // A checker that already knows every real shape, as in a bundle check.
            let mut checker = Checker::default();
            for known in &expressions {
                proptest::prop_assert!(checker.check(known).is_ok(), "{}", known);
            }
            proptest::prop_assert_eq!(
                checker.check(&expr).is_ok(),
                parse(&expr).is_ok(),
                "{}",
                expr
            );
        }
    }
}
