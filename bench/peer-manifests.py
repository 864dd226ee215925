#!/usr/bin/env python3
"""For bench/peer-lib.sh: what the peers' install manifests need before kubectl applies them.

  peer-manifests.py docs FILE KIND[/NAME]...   the documents of a multi-document YAML file with these kinds (all of
                                               a kind, or the one of that name), as one JSON List
  peer-manifests.py aggregate ROLE < ROLES     a merge patch giving ClusterRole ROLE the rules of every ClusterRole
                                               its aggregationRule selects, from ROLES (kubectl get clusterroles -o
                                               json): what kube-controller-manager's clusterrole-aggregation
                                               controller does, which the bench's API server runs without
"""
import json
import sys

import yaml


def docs(path, *wanted):
    def picked(d):
        kind, name = d.get("kind"), d.get("metadata", {}).get("name")
        return any(w == kind or w == f"{kind}/{name}" for w in wanted)
    items = [d for d in yaml.safe_load_all(open(path)) if d and picked(d)]
    json.dump({"apiVersion": "v1", "kind": "List", "items": items}, sys.stdout)


def aggregate(name):
    roles = json.load(sys.stdin)["items"]
    target = next(r for r in roles if r["metadata"]["name"] == name)
    selectors = [s.get("matchLabels", {}) for s in target["aggregationRule"]["clusterRoleSelectors"]]
    rules = []
    for r in roles:
        labels = r["metadata"].get("labels", {})
        if r is not target and any(all(labels.get(k) == v for k, v in s.items()) for s in selectors):
            rules += [x for x in r.get("rules", []) if x not in rules]
    json.dump({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": name}, "rules": rules}, sys.stdout)


if __name__ == "__main__":
    commands = {"docs": docs, "aggregate": aggregate}
    if len(sys.argv) < 3 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])
