#!/usr/bin/env python3
"""Turn the PromQL queries of Argo Rollouts AnalysisTemplates and of KEDA ScaledObjects'
Prometheus triggers into a plain Prometheus rules file (one recording rule per query), so
`promtool check rules` checks them as it checks the PrometheusRules.
Usage: queries-to-rules.py in.yaml > out.rules.yaml; prints nothing when there are none."""
import re
import sys

import yaml

rules = []
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if not doc:
        continue
    kind, name = doc.get("kind"), doc.get("metadata", {}).get("name", "")
    queries = []
    if kind == "AnalysisTemplate":
        for metric in doc["spec"]["metrics"]:
            prometheus = metric.get("provider", {}).get("prometheus")
            if prometheus:
                queries.append((metric["name"], prometheus["query"]))
    elif kind == "ScaledObject":
        for i, trigger in enumerate(doc["spec"]["triggers"]):
            if trigger["type"] == "prometheus":
                queries.append((f"trigger{i}", trigger["metadata"]["query"]))
    for metric, query in queries:
        record = re.sub(r"[^a-zA-Z0-9_:]", "_", f"slipway:{kind}:{name}:{metric}")
        rules.append({"record": record, "expr": query})
if rules:
    yaml.safe_dump({"groups": [{"name": "queries", "rules": rules}]}, sys.stdout, sort_keys=False)
