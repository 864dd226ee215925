#!/usr/bin/env python3
"""Service writes through a real API server, and the API server's own admission latency (bench/apiserver.sh).

  apiserver-load.py case DIR NAME NAMESPACE EXPECT OUT [options]   one case: warm-up, fixed rate, saturation
  apiserver-load.py report OUT...                                  the markdown tables over the cases' results

A write is, in turn, a create of a new LoadBalancer Service and an update (merge patch) of one of 20 existing
ones, both asking for externalTrafficPolicy: Cluster. EXPECT is the policy every answer must carry: Local under a
policy engine, Cluster with none. A write answered otherwise counts as wrong, an error as failed.
Each created Service is deleted right after its create (the e2e cluster's Service range is a /24): the delete is
not a counted write and its time is not in the client's latency, but the API server serves it.

Options: --rate (writes/s, 50), --warmup (s, 15), --seconds (s, 30), --clients (closed loop, 16),
--saturation (s, 15), --engine NAME=PID (the policy engine's process), --pid NAME=PID (other processes of the
stack: their CPU is not counted as foreign).
Per measured window: the API server's /metrics before and after; the delta of each histogram's buckets gives
p50/p99 as Prometheus' histogram_quantile computes them; /proc/PID/stat gives CPU seconds per process.
"""
import argparse
import json
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from apiserver_writes import Stack, drive, send  # noqa: E402

UPDATE_POOL = 20
HZ = os.sysconf("SC_CLK_TCK")
# (label in the report, metric, label filter): the mutating step (every mutating plugin, in-process policies and
# webhooks alike) and the mutating webhooks' calls, as the API server observes them.
HISTOGRAMS = (
    ("step_create", "apiserver_admission_step_admission_duration_seconds", {"type": "admit", "operation": "CREATE"}),
    ("step_update", "apiserver_admission_step_admission_duration_seconds", {"type": "admit", "operation": "UPDATE"}),
    ("webhook_create", "apiserver_admission_webhook_admission_duration_seconds", {"type": "admit", "operation": "CREATE"}),
    ("webhook_update", "apiserver_admission_webhook_admission_duration_seconds", {"type": "admit", "operation": "UPDATE"}),
)
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def service(name, namespace):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Cluster", "selector": {"app": "web"},
                     "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}}


class Load:
    """The write mix of one case, with every write's outcome and latency."""

    def __init__(self, stack, namespace, expect):
        self.stack, self.ns, self.expect = stack, namespace, expect
        self.lock = threading.Lock()
        self.phase = "setup"
        self.reset()

    def reset(self):
        self.ms = {"create": [], "update": []}
        self.outcomes = {"right": 0, "wrong": 0, "failed": 0}
        self.deletes_failed = 0
        self.samples = []

    def judge(self, status, answer, ok):
        if status != ok:
            message = answer.get("message", "") if isinstance(answer, dict) else str(answer)
            return "failed", f"{status} {message[:200]}"
        policy = answer.get("spec", {}).get("externalTrafficPolicy")
        return ("right", "") if policy == self.expect else ("wrong", f"stored {policy}, expected {self.expect}")

    def write(self, conn, n):
        base = f"/api/v1/namespaces/{self.ns}/services"
        t0 = time.monotonic()
        if n % 2 == 0:
            name = f"c-{self.phase}-{n}"
            status, answer = send(conn, "POST", base, service(name, self.ns))
            ms = (time.monotonic() - t0) * 1000
            outcome = self.judge(status, answer, 201)
            if status == 201:
                deleted, _ = send(conn, "DELETE", f"{base}/{name}")
                if deleted != 200:
                    with self.lock:
                        self.deletes_failed += 1
            return "create", ms, outcome
        patch = {"metadata": {"annotations": {"bench.sourceip-guard.io/write": f"{self.phase}-{n}"}},
                 "spec": {"externalTrafficPolicy": "Cluster"}}
        status, answer = send(conn, "PATCH", f"{base}/u-{(n // 2) % UPDATE_POOL}", patch, "application/merge-patch+json")
        return "update", (time.monotonic() - t0) * 1000, self.judge(status, answer, 200)

    def record(self, n, result, ms):
        with self.lock:
            if result[0] is None:  # the connection failed
                self.outcomes["failed"] += 1
                self.samples.append(result[1])
                return
            kind, write_ms, (outcome, detail) = result
            self.outcomes[outcome] += 1
            if outcome == "right" or outcome == "wrong":
                self.ms[kind].append(write_ms)
            if detail and len(self.samples) < 5:
                self.samples.append(f"{kind}: {detail}")

    def run(self, phase, clients, rate, seconds):
        self.phase = phase
        self.reset()
        start = time.monotonic()
        if rate > 0:
            stop = lambda n: n >= rate * seconds  # noqa: E731
        else:
            stop = lambda n: time.monotonic() - start >= seconds  # noqa: E731
        drive(self.stack, self.write, clients, rate, stop, self.record)
        return time.monotonic() - start


def metrics(stack):
    status, text = stack.request("GET", "/metrics")
    if status != 200:
        sys.exit(f"GET /metrics answered {status}: {str(text)[:200]}")
    samples = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and not line.startswith("#"):
            samples[(m.group(1), tuple(sorted(LABEL.findall(m.group(2) or ""))))] = float(m.group(3))
    return samples


def buckets(samples, metric, want):
    """{le: cumulative count} summed over the series whose labels include WANT."""
    out = {}
    for (name, labels), value in samples.items():
        if name != metric + "_bucket":
            continue
        d = dict(labels)
        if all(d.get(k) == v for k, v in want.items()):
            le = float(d["le"])
            out[le] = out.get(le, 0) + value
    return out


def quantile(q, cumulative):
    """Prometheus' histogram_quantile over {upper bound: cumulative count} (bucketQuantile in
    prometheus/prometheus promql/quantile.go): linear within the bucket that holds the rank, 0 as the lower
    bound of the first; a rank in the +Inf bucket gives the highest finite bound."""
    bounds = sorted(cumulative)
    if len(bounds) < 2 or bounds[-1] != float("inf") or cumulative[bounds[-1]] == 0:
        return None
    rank = q * cumulative[bounds[-1]]
    b = next(i for i, le in enumerate(bounds) if cumulative[le] >= rank)
    if b == len(bounds) - 1:
        return bounds[-2]
    start, below = (bounds[b - 1], cumulative[bounds[b - 1]]) if b > 0 else (0.0, 0.0)
    return start + (bounds[b] - start) * (rank - below) / (cumulative[bounds[b]] - below)


def histogram_delta(before, after, metric, want):
    a, b = buckets(after, metric, want), buckets(before, metric, want)
    delta = {le: a[le] - b.get(le, 0) for le in a}
    count = delta.get(float("inf"), 0)
    if count <= 0:
        return None
    ms = lambda s: None if s is None else round(s * 1000, 2)  # noqa: E731
    return {"n": int(count), "p50": ms(quantile(0.5, delta)), "p99": ms(quantile(0.99, delta)),
            "under_5ms": round(delta.get(0.005, 0) / count, 3)}


def cpu_ticks(pid):
    """utime+stime of PID (all its threads), in clock ticks; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


def busy_ticks():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]  # user nice system irq softirq steal


def status_mib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def percentile(values, q):
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(q * len(s)))], 1)


class Window:
    """Readings before a measured window; close() gives its figures."""

    def __init__(self, stack, pids):
        self.stack, self.pids = stack, pids
        self.metrics = metrics(stack)
        self.ticks = {name: cpu_ticks(pid) for name, pid in pids.items()}
        self.client = os.times()
        self.busy = busy_ticks()

    def close(self, load, seconds, engine):
        after = metrics(self.stack)
        ticks = {name: cpu_ticks(pid) for name, pid in self.pids.items()}
        client = os.times()
        busy = busy_ticks() - self.busy
        used = {n: (ticks[n] - self.ticks[n]) for n in ticks if ticks[n] is not None and self.ticks[n] is not None}
        client_ticks = (client.user + client.system - self.client.user - self.client.system) * HZ
        writes = sum(load.outcomes.values())
        per_write = lambda t: round(t / HZ * 1000 / writes, 3) if writes and t is not None else None  # noqa: E731
        all_ms = load.ms["create"] + load.ms["update"]
        return {
            "seconds": round(seconds, 1), "writes": writes, "writes_per_s": round(writes / seconds, 1),
            **load.outcomes, "deletes_failed": load.deletes_failed, "failure_samples": load.samples,
            "client_p50": percentile(all_ms, 0.5), "client_p99": percentile(all_ms, 0.99),
            "create_p50": percentile(load.ms["create"], 0.5), "create_p99": percentile(load.ms["create"], 0.99),
            "update_p50": percentile(load.ms["update"], 0.5), "update_p99": percentile(load.ms["update"], 0.99),
            **{key: histogram_delta(self.metrics, after, metric, want) for key, metric, want in HISTOGRAMS},
            "engine_cpu_ms_per_write": per_write(used.get(engine)) if engine else None,
            "webhook_process_cpu_ms_per_write": per_write(used.get("webhook")),
            "apiserver_cpu_ms_per_write": per_write(used.get("apiserver")),
            "etcd_cpu_ms_per_write": per_write(used.get("etcd")),
            "client_cpu_pct": round(client_ticks / HZ / seconds * 100),
            "other_cpu_pct": round(max(0, busy - sum(used.values()) - client_ticks) / HZ / seconds * 100),
        }


def pid_pairs(values):
    out = {}
    for v in values or []:
        name, _, pid = v.partition("=")
        out[name] = int(pid)
    return out


def run_case(a):
    stack = Stack(a.dir)
    load = Load(stack, a.namespace, a.expect)
    for i in range(UPDATE_POOL):
        status, answer = stack.request("POST", f"/api/v1/namespaces/{a.namespace}/services", service(f"u-{i}", a.namespace))
        if status != 201:
            sys.exit(f"creating the Services to update: {status} {str(answer)[:300]}")
    engine = pid_pairs(a.engine)
    pids = {**pid_pairs(a.pid), **engine}
    engine_name = next(iter(engine), None)
    result = {"case": a.name, "expect": a.expect, "rate": a.rate, "clients": a.clients}
    status, version = stack.request("GET", "/version")
    result["kubernetes"] = version.get("gitVersion") if isinstance(version, dict) else None
    print(f"[{a.name}] warm-up: {a.warmup} s at {a.rate} writes/s", file=sys.stderr)
    load.run("warmup", 8, a.rate, a.warmup)
    result["warmup"] = dict(load.outcomes)
    print(f"[{a.name}] fixed rate: {a.seconds} s at {a.rate} writes/s", file=sys.stderr)
    window = Window(stack, pids)
    result["fixed"] = window.close(load, load.run("fixed", 8, a.rate, a.seconds), engine_name)
    print(f"[{a.name}] saturation: {a.saturation} s, {a.clients} clients in a closed loop", file=sys.stderr)
    window = Window(stack, pids)
    result["saturation"] = window.close(load, load.run("saturation", a.clients, 0, a.saturation), engine_name)
    if engine_name:
        pid = engine[engine_name]
        result["engine"] = {"name": engine_name, "rss_mib": status_mib(pid, "VmRSS"), "hwm_mib": status_mib(pid, "VmHWM")}
    if "apiserver" in pids:
        result["apiserver_rss_mib"] = status_mib(pids["apiserver"], "VmRSS")
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    bad = sum(result[p]["wrong"] + result[p]["failed"] for p in ("fixed", "saturation")) + sum(
        result["warmup"][k] for k in ("wrong", "failed"))
    for p in ("fixed", "saturation"):
        r = result[p]
        print(f"[{a.name}] {p}: {r['writes']} writes ({r['right']} right, {r['wrong']} wrong, {r['failed']} failed),"
              f" {r['writes_per_s']}/s, client p50/p99 {r['client_p50']}/{r['client_p99']} ms", file=sys.stderr)
        for s in r["failure_samples"]:
            print(f"[{a.name}]   {s}", file=sys.stderr)
    return 1 if bad else 0


def fmt(v, unit=""):
    return "–" if v is None else f"{v:g}{unit}"


def pq(h):
    return "–" if not h else f"{fmt(h['p50'])} / {fmt(h['p99'])} ms"


def report(paths):
    results, unavailable = [], []
    for p in paths:
        with open(p if p.endswith(".json") else p + ".json") as f:
            r = json.load(f)
        (unavailable if "unavailable" in r else results).append(r)

    def label(r):
        bad = [f"{r[p]['wrong'] + r[p]['failed']} of {r[p]['writes']} {p}" for p in ("fixed", "saturation")
               if r[p]["wrong"] + r[p]["failed"]]
        return r["case"] + (f" **WRONG RESULTS ({', '.join(bad)})**" if bad else "")

    def engine(r):
        e = r.get("engine")
        return "in the API server" if r["case"] == "policies" else "–" if not e else f"{fmt(e['rss_mib'])} / {fmt(e['hwm_mib'])}"

    rows = ["| case | writes (right / wrong / failed) | client p50 / p99 | admit step, CREATE: p50 / p99 (≤ 5 ms) | "
            "admit step, UPDATE: p50 / p99 | mutating webhook, CREATE: p50 / p99 | engine CPU per write | "
            "sourceip-guard's process CPU per write | API server CPU per write | engine RSS / HWM (MiB) | API server RSS (MiB) | "
            "other CPU |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        f = r["fixed"]
        step = f["step_create"]
        under = "–" if not step else f"{step['under_5ms'] * 100:.0f} %"
        rows.append(f"| {label(r)} | {f['writes']} ({f['right']} / {f['wrong']} / {f['failed']}) at {f['writes_per_s']}/s | "
                    f"{fmt(f['client_p50'])} / {fmt(f['client_p99'])} ms | "
                    f"{pq(step)} ({under}) | "
                    f"{pq(f['step_update'])} | {pq(f['webhook_create'])} | "
                    f"{fmt(f['engine_cpu_ms_per_write'], ' ms')} | {fmt(f.get('webhook_process_cpu_ms_per_write'), ' ms')} | "
                    f"{fmt(f['apiserver_cpu_ms_per_write'], ' ms')} | "
                    f"{engine(r)} | {fmt(r.get('apiserver_rss_mib'))} | {f['other_cpu_pct']} % |")
    rows += [f"| {r['case']} | not available: {r['unavailable']} |" + " |" * 8 for r in unavailable]
    rows += ["", "Saturation (closed loop):", "",
             "| case | clients | writes/s | writes (right / wrong / failed) | client p50 / p99 | "
             "admit step, CREATE: p50 / p99 | mutating webhook, CREATE: p50 / p99 | engine CPU per write | "
             "API server CPU per write | client CPU | other CPU |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        s = r["saturation"]
        rows.append(f"| {label(r)} | {r['clients']} | {s['writes_per_s']} | {s['writes']} ({s['right']} / {s['wrong']} / "
                    f"{s['failed']}) | {fmt(s['client_p50'])} / {fmt(s['client_p99'])} ms | {pq(s['step_create'])} | "
                    f"{pq(s['webhook_create'])} | {fmt(s['engine_cpu_ms_per_write'], ' ms')} | "
                    f"{fmt(s['apiserver_cpu_ms_per_write'], ' ms')} | {s['client_cpu_pct']} % | {s['other_cpu_pct']} % |")
    rows += [f"| {r['case']} | not available |" + " |" * 9 for r in unavailable]
    print("\n".join(rows))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "report":
        return report(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["case"])
    for name in ("dir", "name", "namespace"):
        parser.add_argument(name)
    parser.add_argument("expect", choices=["Local", "Cluster"])
    parser.add_argument("out")
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--warmup", type=float, default=15)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--saturation", type=float, default=15)
    parser.add_argument("--engine", action="append", help="NAME=PID of the policy engine's process")
    parser.add_argument("--pid", action="append", help="NAME=PID of another process of the stack")
    return run_case(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
