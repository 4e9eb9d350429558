//! Scalars: the style `yaml_serde` asks for a string in (from how it would read the string
//! back), and what libyaml's emitter makes of that request once it has looked at the text
//! (`yaml_emitter_analyze_scalar`, `yaml_emitter_select_scalar_style`).

use super::YAML11_BOOLEANS;

/// The style the serializer asks for; the emitter may still pick a safer one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    /// Plain when possible (strings that need no quotes).
    Any,
    /// Plain when possible (numbers, booleans, `null`).
    Plain,
    /// `'…'` when possible.
    SingleQuoted,
    /// `|` when possible (strings with a line break).
    Literal,
}

/// The style a scalar is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Written {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// The style `yaml_serde` asks for a string in (`serialize_str`): literal when it has a line
/// break, single-quoted when a YAML reader would take it for something else than a string
/// (`yaml_serde` 1.2 resolution, plus the YAML 1.1 booleans kubectl and Argo CD still read).
pub(super) fn string_style(value: &str) -> Style {
    if find_newline(value.as_bytes()).is_some() {
        Style::Literal
    } else if resolves_to_non_string(value)
        || (value.len() <= 3 && YAML11_BOOLEANS.contains(&value))
    {
        Style::SingleQuoted
    } else {
        Style::Any
    }
}

/// Whether `yaml_serde` reads the plain scalar `value` as null, a boolean or a number, or as a
/// string only because of leading zeros (`de::visit_untagged_scalar`).
fn resolves_to_non_string(value: &str) -> bool {
    match value.as_bytes().first() {
        None => true,
        Some(b'~' | b'n' | b'N') => matches!(value, "~" | "null" | "Null" | "NULL"),
        Some(b't' | b'T' | b'f' | b'F') => {
            matches!(
                value,
                "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
            )
        }
        // Every integer and finite float starts with one of these.
        Some(b'0'..=b'9' | b'+' | b'-' | b'.') => {
            is_unsigned_int(value)
                || is_negative_int(value)
                || is_float(value)
                || digits_but_not_number(value)
        }
        Some(_) => false,
    }
}

/// `yaml_serde`'s `de::parse_unsigned_int` (at `u128`, which accepts whatever `u64` does).
fn is_unsigned_int(scalar: &str) -> bool {
    let unpositive = scalar.strip_prefix('+').unwrap_or(scalar);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unpositive.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return false;
            }
            if u128::from_str_radix(rest, radix).is_ok() {
                return true;
            }
        }
    }
    if unpositive.starts_with(['+', '-']) || digits_but_not_number(scalar) {
        return false;
    }
    unpositive.parse::<u128>().is_ok()
}

/// `yaml_serde`'s `de::parse_negative_int` (at `i128`, which accepts whatever `i64` does).
fn is_negative_int(scalar: &str) -> bool {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(rest) = scalar.strip_prefix(prefix)
            && i128::from_str_radix(&format!("-{rest}"), radix).is_ok()
        {
            return true;
        }
    }
    !digits_but_not_number(scalar) && scalar.parse::<i128>().is_ok()
}

/// `yaml_serde`'s `de::parse_f64` found a float.
fn is_float(scalar: &str) -> bool {
    let unpositive = match scalar.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return false,
        Some(rest) => rest,
        None => scalar,
    };
    matches!(unpositive, ".inf" | ".Inf" | ".INF")
        || matches!(
            scalar,
            "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN" | ".NAN"
        )
        || unpositive.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Leading zeros followed by digits: a string in YAML 1.2, quoted so that YAML 1.1 readers do
/// not take it for an octal number (`yaml_serde`'s `de::digits_but_not_number`).
fn digits_but_not_number(scalar: &str) -> bool {
    let scalar = scalar.strip_prefix(['-', '+']).unwrap_or(scalar);
    scalar.len() > 1 && scalar.starts_with('0') && scalar[1..].bytes().all(|b| b.is_ascii_digit())
}

/// The result of [`analyze`]: what styles a scalar may take (`yaml_emitter_analyze_scalar`;
/// the flow-style answers are left out).
#[derive(Debug, Clone, Copy)]
pub(super) struct Analysis {
    /// The text is ASCII.
    pub(super) ascii: bool,
    /// Its length in characters.
    pub(super) chars: usize,
    /// It has a line break.
    pub(super) multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// libyaml's `yaml_emitter_select_scalar_style`, outside flow collections.
pub(super) fn select_style(requested: Style, analysis: &Analysis, simple_key: bool) -> Written {
    let mut style = match requested {
        Style::Any | Style::Plain => Written::Plain,
        Style::SingleQuoted => Written::SingleQuoted,
        Style::Literal => Written::Literal,
    };
    if simple_key && analysis.multiline {
        style = Written::DoubleQuoted;
    }
    if style == Written::Plain
        && (!analysis.block_plain_allowed || (analysis.chars == 0 && simple_key))
    {
        style = Written::SingleQuoted;
    }
    if style == Written::SingleQuoted && !analysis.single_quoted_allowed {
        style = Written::DoubleQuoted;
    }
    if style == Written::Literal && (!analysis.block_allowed || simple_key) {
        style = Written::DoubleQuoted;
    }
    style
}

/// What [`analyze`] looks for in a scalar (libyaml's local variables of the same names).
#[derive(Debug, Default, PartialEq, Eq)]
struct Findings {
    block_indicators: bool,
    line_breaks: bool,
    special_characters: bool,
    leading_space: bool,
    leading_break: bool,
    trailing_space: bool,
    trailing_break: bool,
    break_space: bool,
    space_break: bool,
}

/// libyaml's `yaml_emitter_analyze_scalar`, without the answers only flow style needs.
///
/// Text asked for as a literal block (text with a line break, such as a whole configuration
/// file) is written as a literal block or double-quoted: only `block_allowed` and
/// `multiline` matter then, and for ASCII text they are found with a few fast passes instead
/// of libyaml's walk.
pub(super) fn analyze(value: &str, requested: Style) -> Analysis {
    if value.is_empty() {
        return Analysis {
            ascii: true,
            chars: 0,
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    if requested == Style::Literal && value.is_ascii() {
        let bytes = value.as_bytes();
        // Any control character but `\n` (including `\r` and tab), or DEL.
        let special = bytes.iter().fold(false, |found, &b| {
            found | (b < b' ' && b != b'\n') | (b == 0x7F)
        });
        // A space before a `\n`, looked for a line at a time (lines are short); a space
        // before a `\r` needs no search: a `\r` is special already.
        let mut space_break = false;
        let mut newline = false;
        let mut rest = bytes;
        while let Some(at) = find_newline(rest) {
            newline = true;
            if at > 0 && rest[at - 1] == b' ' {
                space_break = true;
                break;
            }
            rest = &rest[at + 1..];
        }
        let line_breaks = newline || bytes.contains(&b'\r');
        return Analysis {
            ascii: true,
            chars: value.len(),
            multiline: line_breaks,
            block_plain_allowed: false,
            single_quoted_allowed: false,
            block_allowed: !(value.ends_with(' ') || space_break || special),
        };
    }
    let ascii = value.is_ascii();
    let (found, chars) = if ascii {
        (find_ascii(value.as_bytes()), value.len())
    } else {
        find_unicode(value)
    };
    let edges =
        found.leading_space || found.leading_break || found.trailing_space || found.trailing_break;
    Analysis {
        ascii,
        chars,
        multiline: found.line_breaks,
        block_plain_allowed: !(edges
            || found.break_space
            || found.space_break
            || found.special_characters
            || found.line_breaks
            || found.block_indicators),
        single_quoted_allowed: !(found.break_space
            || found.space_break
            || found.special_characters),
        block_allowed: !(found.trailing_space || found.space_break || found.special_characters),
    }
}

/// [`find_unicode`] for ASCII text, a byte at a time (most scalars, and the long ones).
fn find_ascii(bytes: &[u8]) -> Findings {
    let blankz = |b: u8| matches!(b, b' ' | b'\t' | b'\0' | b'\r' | b'\n');
    let is_break = |b: u8| matches!(b, b'\r' | b'\n');
    // Past the end reads as the NUL that ends libyaml's copy of the text.
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let (first, last) = (bytes[0], bytes[bytes.len() - 1]);
    let mut found = Findings {
        block_indicators: bytes.starts_with(b"---")
            || bytes.starts_with(b"...")
            || match first {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                | b'\'' | b'"' | b'%' | b'@' | b'`' => true,
                b'?' | b':' | b'-' => blankz(at(1)),
                _ => false,
            },
        leading_space: first == b' ',
        leading_break: is_break(first),
        trailing_space: last == b' ',
        trailing_break: is_break(last),
        ..Findings::default()
    };
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8)
            && plain_ascii_word(chunk)
        {
            i += 8;
            continue;
        }
        let b = bytes[i];
        if !PLAIN_ASCII[usize::from(b)] {
            match b {
                b' ' => found.break_space |= i > 0 && is_break(bytes[i - 1]),
                b'\n' | b'\r' => {
                    found.line_breaks = true;
                    found.special_characters |= b == b'\r';
                    found.space_break |= i > 0 && bytes[i - 1] == b' ';
                }
                b':' => found.block_indicators |= i > 0 && blankz(at(i + 1)),
                b'#' => found.block_indicators |= i > 0 && blankz(bytes[i - 1]),
                _ => found.special_characters = true,
            }
        }
        i += 1;
    }
    found
}

/// Whether eight bytes are all [`PLAIN_ASCII`], eight at a time.
fn plain_ascii_word(chunk: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let mut bytes = [0; 8];
    bytes.copy_from_slice(chunk);
    let word = u64::from_le_bytes(bytes);
    let has_zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGH_BITS != 0;
    let below_bang = word.wrapping_sub(ONES * u64::from(b'!')) & !word & HIGH_BITS != 0;
    let above_tilde = (word.wrapping_add(ONES * u64::from(0x7F - b'~')) | word) & HIGH_BITS != 0;
    !(below_bang
        || above_tilde
        || has_zero(word ^ (ONES * u64::from(b':')))
        || has_zero(word ^ (ONES * u64::from(b'#'))))
}

/// Printable ASCII bytes [`find_ascii`] has nothing to look at: all but space, `:` and `#`.
const PLAIN_ASCII: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = b'!';
    while b <= b'~' {
        table[b as usize] = b != b':' && b != b'#';
        b += 1;
    }
    table
};

/// The findings on any text, a character at a time as libyaml goes, and its length in
/// characters.
fn find_unicode(value: &str) -> (Findings, usize) {
    let mut found = Findings {
        block_indicators: value.starts_with("---") || value.starts_with("..."),
        ..Findings::default()
    };
    let mut previous_space = false;
    let mut previous_break = false;
    let mut preceded_by_whitespace = true;
    let mut chars = 0;

    let mut iter = value.chars();
    let mut current = iter.next();
    let mut next = iter.next();
    let mut followed_by_whitespace = next.is_none_or(is_blankz);
    while let Some(c) = current {
        let first = chars == 0;
        let last = next.is_none();
        chars += 1;
        if first {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => found.block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => found.block_indicators = true,
                _ => {}
            }
        } else if (c == ':' && followed_by_whitespace) || (c == '#' && preceded_by_whitespace) {
            found.block_indicators = true;
        }
        if !is_printable(c) {
            found.special_characters = true;
        }
        if c == ' ' {
            found.leading_space |= first;
            found.trailing_space |= last;
            found.break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            found.line_breaks = true;
            found.leading_break |= first;
            found.trailing_break |= last;
            found.space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(c);
        current = next;
        next = iter.next();
        if current.is_some() {
            followed_by_whitespace = next.is_none_or(is_blankz);
        }
    }
    (found, chars)
}

/// libyaml's `IS_PRINTABLE` (on characters rather than UTF-8 bytes).
pub(super) fn is_printable(c: char) -> bool {
    matches!(c,
        '\n' | ' '..='~' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        && c != '\u{FEFF}'
}

/// libyaml's `IS_BREAK`.
pub(super) fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's `IS_BLANKZ`: a blank, a break, or the end of the text (a NUL).
fn is_blankz(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\0') || is_break(c)
}

/// The first `\n` in `bytes`, eight bytes at a time: lines of a literal block are short, and
/// `str::find` costs more to set up than to search there.
pub(super) fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        // Bytes equal to `\n` become zero; the lowest flagged byte is the first zero one.
        let word = u64::from_le_bytes(word) ^ (ONES * u64::from(b'\n'));
        let zeros = word.wrapping_sub(ONES) & !word & HIGH_BITS;
        if zeros != 0 {
            return Some(offset + (zeros.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    let tail = chunks.remainder();
    tail.iter().position(|&b| b == b'\n').map(|at| offset + at)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// ASCII text with what the fast paths look for, at every offset of an eight-byte word.
    fn ascii_text() -> impl Strategy<Value = String> {
        let bytes = proptest::sample::select(b"ab-_.:# \n\r\t\0\x7f!'|{~0".as_slice());
        proptest::collection::vec(bytes, 0..40)
            .prop_map(|bytes| bytes.into_iter().map(char::from).collect())
    }

    proptest! {
        #[test]
        fn the_ascii_scan_finds_what_the_character_walk_finds(text in ascii_text()) {
            prop_assume!(!text.is_empty());
            prop_assert_eq!(find_ascii(text.as_bytes()), find_unicode(&text).0);
        }

        #[test]
        fn the_literal_shortcut_agrees_with_the_full_analysis(text in ascii_text()) {
            let fast = analyze(&text, Style::Literal);
            let full = analyze(&text, Style::Any);
            prop_assert_eq!(
                (fast.multiline, fast.block_allowed, fast.chars),
                (full.multiline, full.block_allowed, full.chars)
            );
        }

        #[test]
        fn newlines_are_found_where_they_are(text in ascii_text()) {
            let expected = text.bytes().position(|b| b == b'\n');
            prop_assert_eq!(find_newline(text.as_bytes()), expected);
        }
    }
}
