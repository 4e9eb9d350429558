//! The block-style YAML writer behind [`super::to_string`]: a port, in safe Rust, of the part
//! of libyaml's emitter (`libyaml-rs` 0.3 `src/emitter.rs`) that `yaml_serde` 0.10 reaches,
//! with its settings (UTF-8, `unicode` on, two-space indentation, no line width).
//!
//! Collections are in block style, except empty ones, which are written `[]` and `{}`. The
//! function and field names follow libyaml's (`write_indent`, `whitespace`, `indention`, …)
//! so the two can be read side by side; its states for flow collections, anchors, aliases,
//! directives and line folding are left out because nothing reaches them.
//!
//! One addition: a mapping may be *sorted*. Its entries are recorded as they are written
//! and, at its end, put in bytewise key order (a later duplicate replaces the earlier
//! entry), as a `BTreeMap<String, _>` would hold them. That is sound because the text of an
//! entry does not depend on the entries around it: only the line break and indentation
//! before its key do, and those are recomputed from the cursor the previous entry left.

use std::fmt;
use std::ops::Range;

use super::scalar::{
    Analysis, Style, Written, analyze, find_newline, is_break, is_printable, select_style,
};

/// A mistake in the order of events, or a key that is not a scalar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EmitError(pub(super) &'static str);

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// What the emitter expects next at one level of nesting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The root node of the document.
    Root,
    /// Nothing: the root node has been written.
    Done,
    /// An item of a block sequence, or its end.
    Item,
    /// A key of a block mapping, or its end.
    Key,
    /// The value of the key just written, as a simple key (`key: value`) or not (`? key`).
    Value { simple: bool },
}

/// Where writing stands: what the next line break and indentation depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    /// Characters since the last line break.
    column: usize,
    /// The last character written is a space (or nothing was written on this line).
    whitespace: bool,
    /// Only indentation and indicators (`-`, `?`, `:`) are on this line so far.
    indention: bool,
}

/// A collection whose start has been seen but whose first child has not: whether it is
/// empty, hence written in flow style, is not known yet.
#[derive(Debug, Clone, Copy)]
struct Pending {
    mapping: bool,
    /// The collection is the value of a mapping entry (libyaml's `mapping_context`).
    in_mapping: bool,
    sorted: bool,
}

/// A block mapping being written.
#[derive(Debug, Clone, Copy)]
struct MapFrame {
    sorted: bool,
    /// Every key so far is greater than the one before it.
    in_order: bool,
    /// Its first entry in `Emitter::entries`.
    entries: usize,
    /// Its first key in `Emitter::keys`.
    keys: usize,
}

/// Where the key of an entry of a sorted mapping is kept.
#[derive(Debug, Clone)]
enum Key {
    /// In the output: a plain key is written as it is.
    Output(Range<usize>),
    /// In `Emitter::keys`.
    Saved(Range<usize>),
}

fn key_text<'a>(out: &'a str, saved: &'a str, key: &Key) -> &'a [u8] {
    match key {
        Key::Output(range) => &out.as_bytes()[range.clone()],
        Key::Saved(range) => &saved.as_bytes()[range.clone()],
    }
}

/// One entry of a sorted mapping, as written.
#[derive(Debug, Clone)]
struct Entry {
    key: Key,
    /// Where the line break and indentation before the key start in the output.
    gap: usize,
    /// Where the key starts in the output.
    text: usize,
    /// The cursor before the gap: where the previous entry left it.
    before: Cursor,
}

/// Spaces of indentation per level (libyaml's `best_indent`).
const INDENT: usize = 2;

/// Keys longer than this (in bytes) are written after `? ` (libyaml's simple key limit).
const SIMPLE_KEY_MAX: usize = 128;

/// Writes one YAML document from serializer events.
pub(super) struct Emitter {
    out: String,
    cursor: Cursor,
    /// Current indentation; -1 before the root collection.
    indent: isize,
    indents: Vec<isize>,
    states: Vec<State>,
    pending: Option<Pending>,
    maps: Vec<MapFrame>,
    entries: Vec<Entry>,
    keys: String,
}

/// What the node about to be written is: a mapping value or key (libyaml's
/// `mapping_context`, `simple_key_context`).
#[derive(Debug, Clone, Copy)]
struct Context {
    mapping: bool,
    simple_key: bool,
    /// A key of a sorted mapping, whose entry is recorded.
    sorted_key: bool,
}

impl Emitter {
    /// An emitter that appends to `out`, which is empty or ends with a line break.
    pub(super) fn new(out: String) -> Self {
        let mut states = Vec::with_capacity(16);
        states.push(State::Root);
        Self {
            out,
            cursor: Cursor {
                column: 0,
                whitespace: true,
                indention: true,
            },
            indent: -1,
            indents: Vec::with_capacity(16),
            states,
            pending: None,
            maps: Vec::with_capacity(16),
            entries: Vec::with_capacity(64),
            keys: String::new(),
        }
    }

    /// The output so far (after an error: to be truncated by the caller).
    pub(super) fn into_output(self) -> String {
        self.out
    }

    /// Whether the document is complete: its root node written and closed.
    pub(super) fn check_done(&self) -> Result<(), EmitError> {
        if self.pending.is_some() || self.states != [State::Done] {
            return Err(EmitError("the document ended before its root node did"));
        }
        Ok(())
    }

    /// Ends the complete document (see [`Emitter::check_done`]) and returns the output.
    pub(super) fn finish(mut self) -> String {
        self.write_indent();
        self.out
    }

    /// A scalar: a key, a value, an item or the root. `tag` is `!Name` for an enum variant.
    pub(super) fn scalar(
        &mut self,
        value: &str,
        style: Style,
        tag: Option<&str>,
    ) -> Result<(), EmitError> {
        self.open_pending();
        let analysis = analyze(value, style);
        let key_length = (!analysis.multiline).then(|| value.len() + tag.map_or(0, str::len));
        let context = self.begin_node(Some(key_length))?;
        let style = select_style(style, &analysis, context.simple_key);
        if let Some(tag) = tag {
            self.write_tag(tag);
        }
        let key_start = self.out.len();
        // libyaml's `increase_indent(flow = true)` around the scalar, without the stack.
        let parent = self.indent;
        self.indent = if parent < 0 {
            INDENT as isize
        } else {
            parent + INDENT as isize
        };
        match style {
            Written::Plain => self.write_plain(value, &analysis),
            Written::SingleQuoted => self.write_single_quoted(value, &analysis),
            Written::DoubleQuoted => self.write_double_quoted(value),
            Written::Literal => self.write_literal(value, &analysis),
        }
        self.indent = parent;
        if context.sorted_key {
            // A plain key written right after its indentation is its own text.
            let written = style == Written::Plain && tag.is_none() && context.simple_key;
            self.close_entry(value, written.then_some(key_start..self.out.len()));
        }
        Ok(())
    }

    /// The start of a sequence.
    pub(super) fn sequence_start(&mut self, tag: Option<&str>) -> Result<(), EmitError> {
        self.collection_start(tag, false, false)
    }

    /// The start of a mapping; a sorted one is put in key order at its end.
    pub(super) fn mapping_start(
        &mut self,
        tag: Option<&str>,
        sorted: bool,
    ) -> Result<(), EmitError> {
        self.collection_start(tag, true, sorted)
    }

    /// The end of the innermost sequence.
    pub(super) fn sequence_end(&mut self) -> Result<(), EmitError> {
        self.collection_end(false)
    }

    /// The end of the innermost mapping.
    pub(super) fn mapping_end(&mut self) -> Result<(), EmitError> {
        self.collection_end(true)
    }

    fn collection_start(
        &mut self,
        tag: Option<&str>,
        mapping: bool,
        sorted: bool,
    ) -> Result<(), EmitError> {
        self.open_pending();
        let context = self.begin_node(None)?;
        if let Some(tag) = tag {
            self.write_tag(tag);
        }
        self.pending = Some(Pending {
            mapping,
            in_mapping: context.mapping,
            sorted,
        });
        Ok(())
    }

    fn collection_end(&mut self, mapping: bool) -> Result<(), EmitError> {
        if let Some(pending) = self.pending.take() {
            if pending.mapping != mapping {
                return Err(EmitError("a collection ended with the wrong kind of end"));
            }
            // Empty: `[]` or `{}` (libyaml's flow collection states, reduced to their end).
            self.write_indicator(if mapping { '{' } else { '[' }, true, true, false);
            self.write_indicator(if mapping { '}' } else { ']' }, false, false, false);
            return Ok(());
        }
        let expected = if mapping { State::Key } else { State::Item };
        if self.states.last() != Some(&expected) {
            return Err(EmitError("a collection ended with the wrong kind of end"));
        }
        if mapping {
            self.end_mapping_frame();
        }
        self.states.pop();
        self.indent = self.indents.pop().unwrap_or(-1);
        Ok(())
    }

    /// A child arrives: the pending collection is not empty, so it is a block collection.
    fn open_pending(&mut self) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        if pending.mapping {
            self.increase_indent(false, false);
            self.states.push(State::Key);
            self.maps.push(MapFrame {
                sorted: pending.sorted,
                in_order: true,
                entries: self.entries.len(),
                keys: self.keys.len(),
            });
        } else {
            // `key:\n- item`: a sequence in a mapping is not indented.
            let indentless = pending.in_mapping && !self.cursor.indention;
            self.increase_indent(false, indentless);
            self.states.push(State::Item);
        }
    }

    /// Writes what goes before a node where the current state expects one (the `-` of an
    /// item, the `:` after a key, the indentation of a key) and moves the state on. `key` is
    /// the scalar and its length as a simple key (`None` when multiline), `None` for a
    /// collection.
    fn begin_node(&mut self, key: Option<Option<usize>>) -> Result<Context, EmitError> {
        let state = *self.states.last().ok_or(EmitError("no node expected"))?;
        let mut context = Context {
            mapping: false,
            simple_key: false,
            sorted_key: false,
        };
        let next = match state {
            State::Root => State::Done,
            State::Done => return Err(EmitError("a document has one root node")),
            State::Item => {
                self.write_indent();
                self.write_indicator('-', true, false, true);
                State::Item
            }
            State::Key => {
                let Some(length) = key else {
                    return Err(EmitError("mapping keys must be scalars"));
                };
                let simple = length.is_some_and(|length| length <= SIMPLE_KEY_MAX);
                let sorted = self.maps.last().is_some_and(|frame| frame.sorted);
                let (gap, before) = (self.out.len(), self.cursor);
                self.write_indent();
                if sorted {
                    self.entries.push(Entry {
                        key: Key::Output(0..0),
                        gap,
                        text: self.out.len(),
                        before,
                    });
                }
                if !simple {
                    self.write_indicator('?', true, false, true);
                }
                context = Context {
                    mapping: true,
                    simple_key: simple,
                    sorted_key: sorted,
                };
                State::Value { simple }
            }
            State::Value { simple } => {
                if simple {
                    self.write_indicator(':', false, false, false);
                } else {
                    self.write_indent();
                    self.write_indicator(':', true, false, true);
                }
                context.mapping = true;
                State::Key
            }
        };
        if let Some(state) = self.states.last_mut() {
            *state = next;
        }
        Ok(context)
    }

    /// Completes the entry of a sorted mapping whose key was just written: where its key is
    /// (`written`, when its text is the key itself), and whether keys are still in order.
    fn close_entry(&mut self, key: &str, written: Option<Range<usize>>) {
        let key = match written {
            Some(range) => Key::Output(range),
            None => {
                let start = self.keys.len();
                self.keys.push_str(key);
                Key::Saved(start..self.keys.len())
            }
        };
        let Some(frame) = self.maps.last_mut() else {
            return;
        };
        let count = self.entries.len() - frame.entries;
        if frame.in_order && count > 1 {
            let previous = &self.entries[self.entries.len() - 2].key;
            if key_text(&self.out, &self.keys, &key) <= key_text(&self.out, &self.keys, previous) {
                frame.in_order = false;
            }
        }
        if let Some(entry) = self.entries.last_mut() {
            entry.key = key;
        }
    }

    /// At the end of a block mapping: puts the entries of a sorted one in key order.
    fn end_mapping_frame(&mut self) {
        let Some(frame) = self.maps.pop() else {
            return;
        };
        if frame.sorted && !frame.in_order {
            self.sort_entries(frame.entries);
        }
        self.entries.truncate(frame.entries);
        self.keys.truncate(frame.keys);
    }

    fn sort_entries(&mut self, first: usize) {
        let entries = &self.entries[first..];
        let key = |i: usize| key_text(&self.out, &self.keys, &entries[i].key);
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_by(|&a, &b| key(a).cmp(key(b)).then(a.cmp(&b)));
        // A later duplicate replaces the earlier one.
        order.dedup_by(|later, earlier| {
            let same = key(*later) == key(*earlier);
            if same {
                *earlier = *later;
            }
            same
        });
        let end = self.out.len();
        let mut sorted = String::with_capacity(end - entries[0].gap);
        let mut cursor = entries[0].before;
        for &i in &order {
            let text_end = entries.get(i + 1).map_or(end, |next| next.gap);
            indent_gap(cursor, self.indent, &mut sorted);
            sorted.push_str(&self.out[entries[i].text..text_end]);
            cursor = entries.get(i + 1).map_or(self.cursor, |next| next.before);
        }
        self.out.truncate(entries[0].gap);
        self.out.push_str(&sorted);
        self.cursor = cursor;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { INDENT as isize } else { 0 };
        } else if !indentless {
            self.indent += INDENT as isize;
        }
    }

    fn write_indent(&mut self) {
        self.cursor = indent_gap(self.cursor, self.indent, &mut self.out);
    }

    fn write_indicator(
        &mut self,
        indicator: char,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.cursor.whitespace {
            self.put(' ');
        }
        self.put(indicator);
        self.cursor.whitespace = is_whitespace;
        self.cursor.indention &= is_indention;
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.cursor.column += 1;
    }

    /// A line break character of the value: `\n` as is, the others (`\u{2028}`, …) too.
    fn write_break(&mut self, c: char) {
        self.out.push(c);
        self.cursor.column = 0;
    }

    /// `!Name`, or `!<…>` for the bare `!` (`yaml_emitter_process_tag`).
    fn write_tag(&mut self, tag: &str) {
        match tag.strip_prefix('!').filter(|suffix| !suffix.is_empty()) {
            Some(suffix) => {
                if !self.cursor.whitespace {
                    self.put(' ');
                }
                self.put('!');
                self.write_tag_content(suffix);
            }
            None => {
                self.write_indicator('!', true, false, false);
                self.write_indicator('<', false, false, false);
                self.write_tag_content(tag);
                self.write_indicator('>', false, false, false);
            }
        }
        self.cursor.whitespace = false;
        self.cursor.indention = false;
    }

    /// URI characters as they are, every other byte as `%XX`.
    fn write_tag_content(&mut self, content: &str) {
        for c in content.chars() {
            if c.is_ascii_alphanumeric() || "-_;/?:@&=+$,.~*'()[]".contains(c) {
                self.put(c);
            } else {
                let mut bytes = [0; 4];
                for byte in c.encode_utf8(&mut bytes).bytes() {
                    self.put('%');
                    self.put(hex_digit(byte >> 4));
                    self.put(hex_digit(byte & 0x0F));
                }
            }
        }
        self.cursor.whitespace = false;
        self.cursor.indention = false;
    }

    fn write_plain(&mut self, value: &str, analysis: &Analysis) {
        if !self.cursor.whitespace && !value.is_empty() {
            self.put(' ');
        }
        // Plain scalars never hold line breaks (they are not allowed plain) and there is
        // no line width to fold at.
        self.out.push_str(value);
        self.cursor.column += analysis.chars;
        self.cursor.whitespace = false;
        self.cursor.indention = false;
    }

    fn write_single_quoted(&mut self, value: &str, analysis: &Analysis) {
        self.write_indicator('\'', true, false, false);
        if !analysis.multiline {
            let mut quotes = 0;
            for (i, part) in value.split('\'').enumerate() {
                if i > 0 {
                    self.out.push_str("''");
                    quotes += 1;
                }
                self.out.push_str(part);
            }
            self.cursor.column += analysis.chars + quotes;
        } else {
            let mut breaks = false;
            for c in value.chars() {
                if c == ' ' {
                    // As libyaml: a space after a break is written as is (a break followed
                    // by a space is never single-quoted anyway).
                    self.put(' ');
                } else if is_break(c) {
                    if !breaks && c == '\n' {
                        self.write_break('\n');
                    }
                    self.write_break(c);
                    self.cursor.indention = true;
                    breaks = true;
                } else {
                    if breaks {
                        self.write_indent();
                    }
                    if c == '\'' {
                        self.put('\'');
                    }
                    self.put(c);
                    self.cursor.indention = false;
                    breaks = false;
                }
            }
            if breaks {
                self.write_indent();
            }
        }
        self.write_indicator('\'', false, false, false);
        self.cursor.whitespace = false;
        self.cursor.indention = false;
    }

    fn write_double_quoted(&mut self, value: &str) {
        self.write_indicator('"', true, false, false);
        let mut run = 0;
        for (at, c) in value.char_indices() {
            if !is_printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                self.write_run(&value[run..at]);
                self.write_escape(c);
                run = at + c.len_utf8();
            }
        }
        self.write_run(&value[run..]);
        self.write_indicator('"', false, false, false);
        self.cursor.whitespace = false;
        self.cursor.indention = false;
    }

    /// Characters without line breaks.
    fn write_run(&mut self, run: &str) {
        self.out.push_str(run);
        self.cursor.column += run.chars().count();
    }

    fn write_escape(&mut self, c: char) {
        self.put('\\');
        let short = match c {
            '\0' => '0',
            '\u{7}' => 'a',
            '\u{8}' => 'b',
            '\t' => 't',
            '\n' => 'n',
            '\u{B}' => 'v',
            '\u{C}' => 'f',
            '\r' => 'r',
            '\u{1B}' => 'e',
            '"' => '"',
            '\\' => '\\',
            '\u{85}' => 'N',
            '\u{A0}' => '_',
            '\u{2028}' => 'L',
            '\u{2029}' => 'P',
            _ => {
                let code = u32::from(c);
                let (letter, digits) = match code {
                    0..=0xFF => ('x', 2),
                    0x100..=0xFFFF => ('u', 4),
                    _ => ('U', 8),
                };
                self.put(letter);
                for shift in (0..digits).rev() {
                    self.put(hex_digit(((code >> (4 * shift)) & 0x0F) as u8));
                }
                return;
            }
        };
        self.put(short);
    }

    /// `|`, with the indentation indicator when the text starts with a space or a break and
    /// the chomping indicator (`-` without a final break, `+` with more than one).
    fn write_literal(&mut self, value: &str, analysis: &Analysis) {
        self.write_indicator('|', true, false, false);
        if value.starts_with(|c| c == ' ' || is_break(c)) {
            self.write_indicator('2', false, false, false);
        }
        let mut from_end = value.chars().rev();
        let chomp = match (from_end.next(), from_end.next()) {
            (None, _) => Some('-'),
            (Some(last), _) if !is_break(last) => Some('-'),
            (Some(_), None) => Some('+'),
            (Some(_), Some(before)) if is_break(before) => Some('+'),
            _ => None,
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
        self.write_break('\n');
        self.cursor.indention = true;
        self.cursor.whitespace = true;
        if analysis.ascii {
            self.write_ascii_literal_lines(value);
            return;
        }
        let mut breaks = true;
        let mut rest = value;
        while !rest.is_empty() {
            let (line, separator) = match rest.find(is_break) {
                Some(at) => (&rest[..at], rest[at..].chars().next()),
                None => (rest, None),
            };
            if !line.is_empty() {
                if breaks {
                    self.write_indent();
                }
                self.write_run(line);
                self.cursor.indention = false;
                breaks = false;
            }
            rest = &rest[line.len()..];
            if let Some(c) = separator {
                self.write_break(c);
                self.cursor.indention = true;
                breaks = true;
                rest = &rest[c.len_utf8()..];
            }
        }
    }

    /// The lines of a literal block of ASCII text, which has no line break but `\n` (a
    /// `\r` is not allowed in one): what the loop of `write_literal` does, a line at a time.
    fn write_ascii_literal_lines(&mut self, value: &str) {
        let indent = self.indent.max(0) as usize;
        let mut rest = value;
        loop {
            let end = find_newline(rest.as_bytes());
            let line = &rest[..end.unwrap_or(rest.len())];
            if !line.is_empty() {
                // At the start of a line: `write_indent` only indents.
                push_spaces(&mut self.out, indent);
                self.out.push_str(line);
                self.cursor.column = indent + line.len();
                self.cursor.indention = false;
            }
            let Some(end) = end else {
                break;
            };
            self.write_break('\n');
            self.cursor.indention = true;
            rest = &rest[end + 1..];
        }
    }
}

/// libyaml's `write_indent` from `cursor` into `out`: a line break unless the line holds only
/// indentation so far, then spaces up to `indent`.
fn indent_gap(mut cursor: Cursor, indent: isize, out: &mut String) -> Cursor {
    let indent = indent.max(0) as usize;
    if !cursor.indention
        || cursor.column > indent
        || (cursor.column == indent && !cursor.whitespace)
    {
        out.push('\n');
        cursor.column = 0;
    }
    if cursor.column < indent {
        push_spaces(out, indent - cursor.column);
        cursor.column = indent;
    }
    cursor.whitespace = true;
    cursor.indention = true;
    cursor
}

fn push_spaces(out: &mut String, count: usize) {
    const SPACES: &str = "                                                                ";
    match SPACES.get(..count) {
        Some(spaces) => out.push_str(spaces),
        None => out.extend(std::iter::repeat_n(' ', count)),
    }
}

fn hex_digit(value: u8) -> char {
    char::from(if value < 10 {
        b'0' + value
    } else {
        b'A' + value - 10
    })
}
