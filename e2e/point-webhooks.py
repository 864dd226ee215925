#!/usr/bin/env python3
"""Points every webhook of the webhook configurations on stdin at URL instead of their Service.

  point-webhooks.py URL CA_BUNDLE < OBJECTS.json > LIST.json

stdin: JSON objects one after the other (kubectl create --dry-run=client -o json) or Lists of them. Every webhook of a
Mutating- or ValidatingWebhookConfiguration gets clientConfig {url: URL + its service path, caBundle: CA_BUNDLE}, as
render.sh does for k8s/overlays/local; everything is written out as one List for kubectl apply -f -.
"""
import json
import sys

url, ca = sys.argv[1], sys.argv[2]
text, at, items = sys.stdin.read(), 0, []
decoder = json.JSONDecoder()
while text[at:].strip():
    o, at = decoder.raw_decode(text, len(text) - len(text[at:].lstrip()))
    items += o["items"] if o.get("kind") == "List" else [o]
for o in items:
    for w in o.get("webhooks", []) if o["kind"].endswith("WebhookConfiguration") else []:
        w["clientConfig"] = {"url": url + w["clientConfig"]["service"]["path"], "caBundle": ca}
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, sys.stdout)
