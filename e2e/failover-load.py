#!/usr/bin/env python3
"""Writes through the API server at a fixed rate and records each write's outcome as the client saw it.

  failover-load.py run DIR NAMESPACE RATE OUT     until DIR/load.stop exists (at most 600 s, 20000 writes)
  failover-load.py summary OUT PHASES             counts per phase; exit 1 if a phase in STRICT lost a write

Three writes in turn, each judged by one of the two webhooks:
  a merge patch setting externalTrafficPolicy: Cluster on a LoadBalancer Service (mutating, failurePolicy Ignore):
    mutated (stored with Local), unmutated (stored with Cluster: the webhook was not reached), failed;
  the user's ip-masq-agent config with the complete list (validating, Fail): admitted, refused, failed;
  the same config with 0.0.0.0/0 (refused for IMDS): refused, admitted, failed.
Right: mutated, admitted (complete list), refused (0.0.0.0/0); anything else is a lost write.
OUT lines: <unix time> <kind> <outcome> <milliseconds> [<HTTP status> <reason>].
PHASES lines (written by e2e/failover.sh): <unix time> <phase name>.
"""
import json
import os
import sys
import threading
import time

from apiserver_writes import Stack, drive

MAX_SECONDS = 600
MAX_WRITES = 20000
MASQ = "azure-ip-masq-agent-config"
# LoadBalancer Services web-0 ... web-29 in NAMESPACE (e2e/failover.sh creates them): patched in turn, since the
# e2e cluster's Service range (a /24) holds too few addresses for one new Service per write.
SERVICES = 30
KINDS = ("service", "masq-complete", "masq-imds")
RIGHT = {"service": "mutated", "masq-complete": "admitted", "masq-imds": "refused"}
# The phases that must lose nothing: both replicas renewing the certificate at once, and each rolled with SIGTERM.
STRICT = ("renew", "roll-a", "roll-b")


def masq_body(cidrs):
    config = "nonMasqueradeCIDRs:\n" + "".join(f"  - {c}\n" for c in cidrs) + "masqLinkLocal: true\n"
    return json.dumps({"data": {"ip-masq-agent": config}}).encode()


def run(directory, namespace, rate, out_path):
    stack = Stack(directory)
    with open(os.path.join(directory, "complete-list.txt")) as f:
        complete = masq_body(f.read().split())
    imds = masq_body(["0.0.0.0/0"])
    stop_file = os.path.join(directory, "load.stop")
    start = time.monotonic()
    out = open(out_path, "a", buffering=1)
    lock = threading.Lock()

    def write(conn, n):
        kind = KINDS[n % 3]
        if kind == "service":
            conn.request("PATCH", f"/api/v1/namespaces/{namespace}/services/web-{n % SERVICES}",
                         b'{"spec":{"externalTrafficPolicy":"Cluster"}}', {"Content-Type": "application/merge-patch+json"})
        else:
            conn.request("PATCH", f"/api/v1/namespaces/kube-system/configmaps/{MASQ}",
                         complete if kind == "masq-complete" else imds,
                         {"Content-Type": "application/merge-patch+json"})
        response = conn.getresponse()
        status, text = response.status, response.read().decode(errors="replace")
        if kind == "service" and status == 200:
            policy = json.loads(text)["spec"].get("externalTrafficPolicy")
            return "mutated" if policy == "Local" else "unmutated", ""
        if kind != "service" and status == 200:
            return "admitted", ""
        if status in (400, 403, 422) and "denied the request" in text:
            return "refused", ""
        reason = json.loads(text).get("message", "") if text.startswith("{") else text
        return "failed", f"{status} {reason[:300]}"

    def stop(n):
        return n >= MAX_WRITES or os.path.exists(stop_file) or time.monotonic() - start > MAX_SECONDS

    def record(n, result, ms):
        outcome, detail = result
        with lock:
            out.write(f"{time.time():.3f} {KINDS[n % 3]} {outcome or 'failed'} {int(ms)} {detail}".rstrip() + "\n")

    drive(stack, write, 8, rate, stop, record)


def summary(out_path, phases_path):
    phases = []
    with open(phases_path) as f:
        for line in f:
            t, name = line.split(maxsplit=1)
            phases.append((float(t), name.strip()))
    counts = {name: {} for _, name in phases}
    lost = {name: [] for _, name in phases}
    with open(out_path) as f:
        for line in f:
            parts = line.split(maxsplit=4)
            t, kind, outcome = float(parts[0]), parts[1], parts[2]
            phase = None
            for start, name in phases:
                if t >= start:
                    phase = (start, name)
            if phase is None:
                continue
            c = counts[phase[1]]
            c[outcome] = c.get(outcome, 0) + 1
            if RIGHT[kind] != outcome:
                lost[phase[1]].append(f"  +{t - phase[0]:.1f}s {kind} {outcome} {parts[4].strip() if len(parts) > 4 else ''}")
    total_lost = 0
    for _, name in phases:
        c = counts[name]
        print(f"{name:<12} writes {sum(c.values()):>5}  " + "  ".join(f"{k} {v}" for k, v in sorted(c.items()))
              + f"  lost {len(lost[name])}")
        for line in lost[name][:20]:
            print(line[:300])
        if name in STRICT:
            total_lost += len(lost[name])
    return 1 if total_lost else 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5])
    elif len(sys.argv) == 4 and sys.argv[1] == "summary":
        sys.exit(summary(sys.argv[2], sys.argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
