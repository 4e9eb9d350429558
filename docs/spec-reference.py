#!/usr/bin/env python3
"""Writes the field reference of docs/spec.md from the spec's JSON Schema.

The schema is generated from the spec's Rust types and their doc comments (`slipway schema`),
and its golden copy, golden/schema.snap, is kept up to date by the golden tests. So every field,
type and default below comes from the code; edit the doc comments, not docs/spec.md.

    python3 docs/spec-reference.py           rewrite the part of docs/spec.md between the markers
    python3 docs/spec-reference.py --check   exit 1 if that part is out of date (CI)
"""
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "golden" / "schema.snap"
DOC = ROOT / "docs" / "spec.md"
START, END = "<!-- spec-reference:start -->\n", "<!-- spec-reference:end -->"

# A default stated by a doc comment: "Default: `a.b`." / "Default: none." (code spans whole).
PROSE_DEFAULT = re.compile(r"\s*Default:\s*((?:`[^`]*`|\.(?=\d)|[^.`])+?)\.(?=\s|$)")


def load_schema():
    text = SNAPSHOT.read_text()
    # An insta snapshot: a header between two `---` lines, then the JSON.
    return json.loads(text.split("---\n", 2)[2])


SCHEMA = load_schema()
DEFS = SCHEMA["$defs"]


def ref_name(node):
    return node["$ref"].rsplit("/", 1)[1]


def one_line(text):
    return " ".join((text or "").split()).replace("|", "\\|")


def is_value_type(defn):
    """A type with a syntax of its own (Duration, Quantity, …): documented once, by name."""
    return "format" in defn and "properties" not in defn and "oneOf" not in defn


def enum_values(defn):
    if "enum" in defn:
        return defn["enum"]
    variants = defn.get("oneOf", [])
    if variants and all("const" in v for v in variants):
        return [v["const"] for v in variants]
    return None


def anchor(name):
    return name.lower()


def describe(node):
    """(type text, object schema or variants to descend into, description) of a property."""
    if "$ref" in node:
        name = ref_name(node)
        defn = DEFS[name]
        if name.startswith("io.k8s."):
            kind = name.rsplit(".", 1)[1]
            return f"Kubernetes `{kind}`", None, defn.get("description")
        values = enum_values(defn)
        if values is not None:
            return " \\| ".join(f"`{json.dumps(v) if not isinstance(v, str) else v}`" for v in values), None, defn.get("description")
        if is_value_type(defn):
            return f"[{name}](#{anchor(name)})", None, defn.get("description")
        if "oneOf" in defn:
            return "one of", defn["oneOf"], defn.get("description")
        if "const" in defn:
            return f"`{defn['const']}`", None, defn.get("description")
        return "object", defn, defn.get("description")
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        if len(options) == 1:
            return describe(options[0])
        return " or ".join(describe(o)[0] for o in options), None, None
    types = node.get("type")
    if isinstance(types, list):
        types = [t for t in types if t != "null"]
        types = types[0] if len(types) == 1 else types
    if types == "array":
        inner, sub, desc = describe(node.get("items", {}))
        return f"list of {inner}", sub, desc
    if types == "object" and isinstance(node.get("additionalProperties"), dict):
        inner, sub, desc = describe(node["additionalProperties"])
        return f"map of {inner}", sub, desc
    if "properties" in node:
        return "object", node, None
    if isinstance(types, list):
        return " or ".join(types), None, None
    text = types or "any"
    if "enum" in node:
        text = " \\| ".join(f"`{v}`" for v in node["enum"])
    elif "minimum" in node and types == "integer":
        text = "integer ≥ 0" if node["minimum"] == 0 else text
    return text, None, None


def split_default(description):
    """The doc comment's "Default: …." sentence, taken out of the description."""
    match = PROSE_DEFAULT.search(description or "")
    if not match:
        return description or "", None
    rest = (description[: match.start()] + description[match.end():]).strip()
    return rest, match.group(1).strip()


def fmt_default(value):
    if isinstance(value, str):
        return f"`{value}`"
    if value in ({}, []):
        return "none"
    if isinstance(value, (dict, list)):
        return "each field's default"
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def variant_rows(variants, prefix, out, seen):
    """The variants of an externally tagged enum: exactly one of their keys is written."""
    keys = [name for variant in variants for name in variant.get("properties", {})]
    choice = "one of " + ", ".join(f"`{key}`" for key in keys)
    for variant in variants:
        rows(variant, prefix, out, seen, choice, variant.get("description"))


def rows(schema, prefix, out, seen, choice=None, variant_description=None):
    """One row per property of `schema` (and of the objects below it), paths from `prefix`."""
    required = set(schema.get("required", []))
    for name in sorted(schema.get("properties", {})):
        node = schema["properties"][name]
        path = f"{prefix}{name}"
        kind, sub, type_desc = describe(node)
        text = node.get("description") or variant_description or type_desc or ""
        description, prose = split_default(text)
        default = one_line(prose) if prose else None
        if default is None and "default" in node:
            default = fmt_default(node["default"])
        if default is None and choice:
            default = choice
        if default is None:
            default = "required" if name in required else "—"
        if kind.startswith("list of"):
            child = f"{path}[]."
        elif kind.startswith("map of"):
            child = f"{path}.<key>."
        else:
            child = f"{path}."
        out.append(f"| `{path}` | {kind} | {default} | {one_line(description)} |")
        if isinstance(sub, list):
            variant_rows(sub, child, out, seen)
        elif isinstance(sub, dict):
            key = id(sub)
            if key in seen:
                continue  # a recursive type: documented at its first place
            rows(sub, child, out, seen | {key})


def reference():
    out = []
    out.append("| field | type | default | description |")
    out.append("| --- | --- | --- | --- |")
    root_rows = []
    for name in ["apiVersion", "kind"]:
        kind, _, desc = describe(SCHEMA["properties"][name])
        root_rows.append(f"| `{name}` | {kind} | required | {one_line(SCHEMA['properties'][name].get('description') or desc)} |")
    out += root_rows
    spec_names = sorted(DEFS[ref_name(SCHEMA["properties"]["spec"])]["properties"])
    index = ["[`metadata`](#metadata)"] + [f"[`spec.{n}`](#spec{n.lower()})" for n in spec_names]
    text = ["Sections: " + " · ".join(index) + " · [value syntaxes](#value-syntaxes)", ""]
    text += ["### The document", "", *out, ""]

    metadata = DEFS[ref_name(SCHEMA["properties"]["metadata"])]
    section = ["### `metadata`", "", one_line(metadata.get("description")), "",
               "| field | type | default | description |", "| --- | --- | --- | --- |"]
    rows(metadata, "metadata.", section, set())
    text += section + [""]

    spec = DEFS[ref_name(SCHEMA["properties"]["spec"])]
    required = set(spec.get("required", []))
    for name in sorted(spec["properties"]):
        node = spec["properties"][name]
        kind, sub, type_desc = describe(node)
        description, prose = split_default(node.get("description") or type_desc or "")
        presence = "required" if name in required else f"optional{'; default: ' + one_line(prose) if prose else ''}"
        section = [f"### `spec.{name}`", "", f"{one_line(description)} ({kind}, {presence})", ""]
        body = []
        if isinstance(sub, list):
            variant_rows(sub, f"spec.{name}.", body, set())
        elif isinstance(sub, dict):
            rows(sub, f"spec.{name}.", body, set())
        if body:
            section += ["| field | type | default | description |", "| --- | --- | --- | --- |", *body]
        text += section + [""]

    text += ["### Value syntaxes", "",
             "Values with a syntax of their own are parsed once, when the spec is loaded, and a "
             "mistake is reported at its line and column.", ""]
    for name in sorted(DEFS):
        defn = DEFS[name]
        if is_value_type(defn):
            pattern = f" Pattern: `{defn['pattern']}`." if "pattern" in defn else ""
            text += [f"#### {name}", "", one_line(defn.get("description")) + pattern, ""]
    return "\n".join(text)


def main():
    doc = DOC.read_text()
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    generated = reference()
    updated = head + START + generated + "\n" + END + tail
    if "--check" in sys.argv[1:]:
        if updated != doc:
            print("docs/spec.md is out of date with golden/schema.snap: run python3 docs/spec-reference.py")
            return 1
        print("docs/spec.md matches golden/schema.snap")
        return 0
    DOC.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
