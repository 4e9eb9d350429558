//! Checking many expressions quickly: an expression's *shape* is its text with every label
//! matcher value replaced by `""`, a regex matcher's operator by its equality twin (`=~` by
//! `=`, `!~` by `!=`: the same grammar, without the parser compiling a regex) and every plain
//! number by `0`. Two expressions of one shape differ only in values the grammar does not
//! look at, so the shape is parsed once per [`Memo`] (one per bundle check: no state outlives
//! a run) and the values are checked on their own (a regular expression with `regex-syntax`,
//! which is far cheaper than compiling it as the parser does).
//!
//! The shape only ever makes the parser stricter (an empty matcher value can only turn a
//! selector into one that "matches everything", which the parser rejects), so when a shape or
//! a value fails the check, the expression is parsed as written and that verdict stands.

use std::collections::HashSet;

use regex_syntax::hir::{Class, Hir, HirKind};

/// Above this estimated program size a regular expression is handed to the parser, whose
/// compiler enforces the size limit ([`regex_size`]).
const REGEX_SIZE_LIMIT: usize = 10_000;

/// Shapes that parsed, and regular expressions that are valid in a matcher, for one run.
#[derive(Debug, Default)]
pub struct Memo {
    shapes: HashSet<String>,
    regexes: HashSet<String>,
}

impl Memo {
    /// `true` when `expr` is known to parse by its shape: the shape parsed (now or before in
    /// this memo) and every regular expression of its matchers is valid. `false` means "not
    /// known", not "invalid": the caller parses the expression as written.
    pub fn parses(&mut self, expr: &str, parse: impl Fn(&str) -> bool) -> bool {
        let Some(shape) = Shape::of(expr) else {
            return false;
        };
        let valid_regexes = shape
            .regexes
            .iter()
            .all(|regex| self.regexes.contains(*regex) || valid_regex(regex));
        if !valid_regexes {
            return false;
        }
        if !self.shapes.contains(&shape.text) && !parse(&shape.text) {
            return false;
        }
        for regex in shape.regexes {
            if !self.regexes.contains(regex) {
                self.regexes.insert(regex.to_string());
            }
        }
        self.shapes.insert(shape.text);
        true
    }
}

/// An expression reduced to its shape, with the regular expressions its matchers carry.
#[derive(Debug, PartialEq)]
struct Shape<'a> {
    text: String,
    regexes: Vec<&'a str>,
}

impl<'a> Shape<'a> {
    /// The shape of `expr`; `None` when the text has an unterminated string (the parser
    /// reports that better).
    fn of(expr: &'a str) -> Option<Self> {
        let bytes = expr.as_bytes();
        let mut text = String::with_capacity(expr.len());
        let mut regexes = Vec::new();
        let mut in_braces = false;
        let mut i = 0;
        while i < bytes.len() {
            let byte = bytes[i];
            match byte {
                b'"' | b'\'' | b'`' => {
                    let end = string_end(bytes, i)?;
                    let content = &expr[i + 1..end];
                    let simple = byte != b'`' && !content.contains(['\\', '\n']);
                    match matcher_operator(&text) {
                        Some(operator) if in_braces && simple => {
                            if operator.ends_with('~') {
                                // `=~` becomes `=` and `!~` becomes `!=`: the same grammar and
                                // the same verdict on an empty value, without the parser
                                // compiling a regex (checked on its own).
                                let tilde = text.trim_end().len() - 1;
                                let equal = if operator == "=~" { "" } else { "=" };
                                text.replace_range(tilde..=tilde, equal);
                                regexes.push(content);
                            }
                            text.push_str("\"\"");
                        }
                        _ => text.push_str(&expr[i..=end]),
                    }
                    i = end + 1;
                }
                b'{' | b'}' => {
                    in_braces = byte == b'{';
                    text.push(char::from(byte));
                    i += 1;
                }
                b'0'..=b'9' if !in_braces && starts_number(bytes, i, &text) => {
                    let end = number_end(bytes, i);
                    let next = bytes.get(end).copied().unwrap_or(b' ');
                    if next.is_ascii_alphanumeric() || next == b'_' || next == b'.' {
                        // A duration (`5m`), an exponent or a hexadecimal number: kept.
                        text.push_str(&expr[i..end]);
                    } else {
                        text.push('0');
                    }
                    i = end;
                }
                _ => {
                    // Copy up to the next byte that may start something to rewrite (all
                    // ASCII, so the cut is always at a character boundary).
                    let run = bytes[i + 1..]
                        .iter()
                        .position(|b| b"\"'`{}".contains(b) || b.is_ascii_digit())
                        .map_or(bytes.len(), |offset| i + 1 + offset);
                    text.push_str(&expr[i..run]);
                    i = run;
                }
            }
        }
        Some(Self { text, regexes })
    }
}

/// Index of the quote closing the string that opens at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote != b'`' => i += 2,
            byte if byte == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The matcher operator the shape written so far ends with (spaces skipped). Not when an
/// operator character comes right before it (`==`, `!=~`): rewriting `=~` there would make
/// another token (`!=~` is no operator, `!=` is).
fn matcher_operator(text: &str) -> Option<&'static str> {
    let before = text.trim_end();
    let operator = ["=~", "!~", "!=", "="]
        .into_iter()
        .find(|operator| before.ends_with(operator))?;
    let previous = before[..before.len() - operator.len()].bytes().next_back();
    match previous {
        Some(b'=' | b'!' | b'~' | b'<' | b'>') => None,
        _ => Some(operator),
    }
}

/// A digit at `i` starts a number literal when it does not continue a name (`http_2xx`), a
/// number (`1.5`) or follow `@` (a timestamp, whose range the parser checks).
fn starts_number(bytes: &[u8], i: usize, text: &str) -> bool {
    let previous = i.checked_sub(1).map(|p| bytes[p]);
    let continues = previous.is_some_and(|p| p.is_ascii_alphanumeric() || b"_:.".contains(&p));
    !continues && !text.trim_end().ends_with('@')
}

/// End of the digits, with one decimal part, starting at `i`.
fn number_end(bytes: &[u8], i: usize) -> usize {
    let digits = |from: usize| {
        from + bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let end = digits(i);
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        digits(end + 1)
    } else {
        end
    }
}

/// Whether the parser accepts `regex` as a matcher value: it anchors it as `^(?:regex)$` and
/// compiles it with the `regex` crate, whose syntax is `regex-syntax`'s. Large programs are
/// left to the parser, which also applies the compiler's size limit.
fn valid_regex(regex: &str) -> bool {
    regex_syntax::Parser::new()
        .parse(&format!("^(?:{regex})$"))
        .is_ok_and(|hir| regex_size(&hir) <= REGEX_SIZE_LIMIT)
}

/// An upper estimate of the compiled size of a regular expression, in units of one literal
/// byte or one class range (counted repetitions multiply, alternatives add).
fn regex_size(hir: &Hir) -> usize {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 1,
        HirKind::Literal(literal) => literal.0.len(),
        HirKind::Class(Class::Unicode(class)) => class.ranges().len(),
        HirKind::Class(Class::Bytes(class)) => class.ranges().len(),
        HirKind::Repetition(repetition) => {
            let count = repetition.max.unwrap_or(repetition.min).max(1) as usize;
            regex_size(&repetition.sub).saturating_mul(count)
        }
        HirKind::Capture(capture) => regex_size(&capture.sub),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => {
            parts.iter().map(regex_size).fold(0, usize::saturating_add)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(expr: &str) -> (String, Vec<&str>) {
        let shape = Shape::of(expr).unwrap();
        (shape.text, shape.regexes)
    }

    #[test]
    fn matcher_values_and_numbers_are_blanked() {
        assert_eq!(
            shape(r#"sum(rate(x{a="ai-x",pod=~"(b|c)-[a-z]{5}",r!~'/m'}[5m])) > 0.8"#),
            (
                r#"sum(rate(x{a="",pod="",r!=""}[5m])) > 0"#.to_string(),
                vec!["(b|c)-[a-z]{5}", "/m"]
            )
        );
    }

    #[test]
    fn durations_names_exponents_and_timestamps_are_kept() {
        let (text, _) = shape("http_2xx[1h:30s] offset 5m > 1e3 or x @ 1700000000 or 0x1F");
        assert_eq!(
            text,
            "http_2xx[1h:30s] offset 5m > 1e3 or x @ 1700000000 or 0x1F"
        );
        assert_eq!(
            shape("histogram_quantile(0.99, x) == 1").0,
            "histogram_quantile(0, x) == 0"
        );
    }

    /// Rewriting `=~` after another operator character would make a valid operator of an
    /// invalid one (`!=~` → `!=`): such a value is kept as written, and the shape fails as the
    /// expression does (the property test found this one).
    #[test]
    fn no_operator_is_made_by_the_rewrite() {
        for expr in [
            r#"x{a!=~"b"}"#,
            r#"x{a==~"b"}"#,
            r#"x{a<=~"b"}"#,
            r#"x{a=!~"b"}"#,
        ] {
            let (text, regexes) = shape(expr);
            assert_eq!((text.as_str(), regexes), (expr, vec![]), "{expr}");
            assert!(crate::promql::parse(expr).is_err(), "{expr}");
            assert!(
                crate::promql::Checker::default().check(expr).is_err(),
                "{expr}"
            );
        }
        assert_eq!(shape(r#"x{a =~ "b"}"#).0, r#"x{a = ""}"#);
    }

    #[test]
    fn strings_outside_matchers_and_escaped_strings_are_kept() {
        let expr = r#"label_replace(x{a="q\"d",b=`raw`}, "dst", "$1", "src", "(.*)")"#;
        assert_eq!(shape(expr), (expr.to_string(), vec![]));
    }

    #[test]
    fn an_unterminated_string_has_no_shape() {
        assert!(Shape::of(r#"x{a="b}"#).is_none());
    }

    #[test]
    fn regexes_are_checked_like_the_parser_does() {
        assert!(valid_regex("(a|b)-[bcd2]{1,10}"));
        assert!(!valid_regex("(a|b"));
        assert!(!valid_regex(r"\p{NoSuchClass}"));
        // Compiles past the regex crate's size limit: left to the parser.
        assert!(!valid_regex(r"\w{1000}"));
    }

    #[test]
    fn a_known_shape_skips_the_parser_and_a_failing_one_is_not_remembered() {
        let calls = std::cell::Cell::new(0);
        let parse = |_: &str| {
            calls.set(calls.get() + 1);
            true
        };
        let mut memo = Memo::default();
        let first = r#"shape_test_metric{a="one"} > 1"#;
        let second = r#"shape_test_metric{a="two"} > 2"#;
        assert!(memo.parses(first, parse));
        assert!(memo.parses(second, parse));
        assert_eq!(calls.get(), 1);

        let rejected = r#"shape_test_rejected{a="one"}"#;
        assert!(!memo.parses(rejected, |_| false));
        assert!(!memo.parses(rejected, |_| false));
        assert!(!memo.parses(r#"shape_test_metric{a=~"(unclosed"} > 1"#, parse));
        assert_eq!(calls.get(), 1);

        // A new memo (a new run) remembers nothing.
        assert!(Memo::default().parses(first, parse));
        assert_eq!(calls.get(), 2);
    }
}
