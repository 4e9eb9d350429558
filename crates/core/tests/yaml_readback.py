"""YAML 1.1 read-back check for crates/core/tests/yaml_readback.rs (run by that test).

Usage: python3 yaml_readback.py BUNDLE.yaml KEYS.yaml EXPECTED.json

Reads the rendered bundle and a mapping whose keys are the test strings with PyYAML's safe
loader (YAML 1.1 resolution, as go-yaml v2 in kubectl and Argo CD), then checks that every
planted label, annotation and env value, and every key, is the expected string. Prints
`ok <count>` or one line per mismatch and exits 1.
"""
import json
import re
import sys

import yaml

bundle_path, keys_path, expected_path = sys.argv[1:4]
strings = json.load(open(expected_path, encoding="utf-8"))["strings"]
with open(bundle_path, encoding="utf-8") as f:
    documents = [d for d in yaml.load_all(f, Loader=yaml.SafeLoader) if d is not None]
with open(keys_path, encoding="utf-8") as f:
    keys = yaml.load(f, Loader=yaml.SafeLoader)

errors = []
found = 0
PLANTED = re.compile(r"^test\.slipway\.dev/[la](\d+)$")
ENV = re.compile(r"^T(\d+)$")


def expect(where, index, value):
    global found
    found += 1
    if value != strings[index]:
        errors.append(f"{where}: expected {strings[index]!r}, read {value!r}")


def walk(node, where):
    if isinstance(node, dict):
        name = node.get("name")
        if isinstance(name, str) and ENV.match(name) and "value" in node:
            expect(f"{where} env {name}", int(ENV.match(name).group(1)), node["value"])
        for key, value in node.items():
            match = PLANTED.match(key) if isinstance(key, str) else None
            if match:
                expect(f"{where} {key}", int(match.group(1)), value)
            else:
                walk(value, where)
    elif isinstance(node, list):
        for item in node:
            walk(item, where)


for document in documents:
    walk(document, f"{document.get('kind')}/{document.get('metadata', {}).get('name')}")
if found < 3 * len(strings):
    errors.append(f"only {found} planted values found for {len(strings)} strings")
for key, index in keys.items():
    if key != strings[index]:
        errors.append(f"key {index}: expected {strings[index]!r}, read {key!r}")
if len(keys) != len(set(strings)):
    errors.append(f"{len(keys)} keys read for {len(set(strings))} distinct strings")

if errors:
    print("\n".join(errors[:50]))
    sys.exit(1)
print(f"ok {found + len(keys)}")
