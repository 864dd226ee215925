#!/usr/bin/env python3
"""For scripts/release-check.sh: the release's SBOM describes what the image runs.

  sbom-check.py SBOM VERSION JARS   SBOM: CycloneDX JSON; JARS: a file naming the jars under the image's lib/

Passes when SBOM is CycloneDX 1.x JSON for sourceip-guard VERSION and every jar in JARS is one of its components
(group.name-version[-classifier].jar, as Quarkus names them in lib/); prints one ok or FAIL line per finding.
"""
import json, sys, urllib.parse
bom = json.load(open(sys.argv[1]))
version, jars = sys.argv[2], [line.strip() for line in open(sys.argv[3]) if line.strip()]
root = bom.get("metadata", {}).get("component", {})
problems = []
if bom.get("bomFormat") != "CycloneDX" or not str(bom.get("specVersion", "")).startswith("1."):
    problems.append("not CycloneDX 1.x JSON")
if (root.get("name"), root.get("version")) != ("sourceip-guard", version):
    problems.append(f"describes {root.get('name')} {root.get('version')}, not sourceip-guard {version}")
# Quarkus names each jar in lib/ groupId.artifactId-version[-classifier].jar.
names = set()
for c in bom.get("components", []):
    purl = urllib.parse.urlparse(c.get("purl", ""))
    classifier = urllib.parse.parse_qs(purl.query).get("classifier", [None])[0]
    names.add(f"{c.get('group')}.{c['name']}-{c['version']}" + (f"-{classifier}" if classifier else "") + ".jar")
missing = [j for j in jars if j not in names]
if not jars:
    problems.append("the image has no jars under /opt/sourceip-guard/lib")
if missing:
    problems.append(f"{len(missing)} of the image's {len(jars)} jars are not in the SBOM: {', '.join(missing[:10])}")
for p in problems:
    print("release-check: FAIL: SBOM: " + p)
if not problems:
    print(f"release-check: ok: SBOM: CycloneDX {bom['specVersion']}, sourceip-guard {version}, "
          f"{len(bom['components'])} components, every one of the image's {len(jars)} jars among them")
sys.exit(1 if problems else 0)
