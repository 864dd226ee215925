#!/usr/bin/env python3
"""CPU per thread of webhook processes on one e2e stack, the API server calling each of them in turn (A/B).

  thread-cpu.py DIR NAME... [--rounds 3] [--rate 50] [--warmup 10] [--seconds 30] [--idle 20] [--out FILE.json]

DIR is a stack of e2e/stack.sh, NAME a webhook process of it (DIR/NAME.pid, DIR/NAME.port: `webhook`, and others
started with `e2e/stack.sh replica DIR NAME`, each with its own E2E_WEBHOOK_OPTS). Every process watches the
cluster, so each one receives every Service write through its informers, whichever is called. Per round, for each
NAME in turn (the order reversed every other round): the installed webhook configurations are pointed at NAME,
--warmup seconds of the write mix of apiserver-load.py at --rate absorb the switch, then two consecutive windows of
--seconds are measured: utime+stime of every process and of each of its threads (/proc/PID/task/*/stat, by thread
name, numbers folded to #, C1/C2 compiler threads kept apart), divided by the writes of the window. An idle window
of --idle seconds comes before the first round and after the last. Prints one line per window and the figures as
JSON (--out).
"""
import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("apiserver_load", os.path.join(here, "apiserver-load.py"))
load_mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(load_mod)
HZ = load_mod.HZ
NAMESPACE = "thread-cpu"


def thread_ticks(pid):
    """{thread id: (name, utime+stime ticks)} over the live threads of PID."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # the thread ended meanwhile
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        if re.match(r"-\d+-poo", name):
            name = "fabric8 informer pool"  # the client's daemon threads, named "-HASH-pool-N-thread-M"
        elif not re.match(r"C\d CompilerThre", name):
            name = re.sub(r"\d+", "#", name)
        fields = stat.rsplit(")", 1)[1].split()
        out[tid] = name, int(fields[11]) + int(fields[12])
    return out


def reading(procs):
    return {n: (load_mod.cpu_ticks(pid), thread_ticks(pid)) for n, pid in procs.items()}


def window(procs, before, after, writes):
    """Per process: CPU ms in all and per write, and per thread name (threads that ended: the rest)."""
    res = {}
    for n in procs:
        (total0, threads0), (total1, threads1) = before[n], after[n]
        threads = {}
        for tid, (name, ticks) in threads1.items():  # a thread started during the window counts from 0
            threads[name] = threads.get(name, 0) + ticks - threads0.get(tid, (name, 0))[1]
        threads["(threads that ended)"] = (total1 - total0) - sum(threads.values())
        ms = (total1 - total0) * 1000 / HZ
        res[n] = {"cpu_ms": ms, "ms_per_write": round(ms / writes, 3) if writes else None,
                  "threads_ms": {k: v * 1000 / HZ for k, v in sorted(threads.items(), key=lambda kv: -kv[1]) if v}}
    return res


def show(label, res):
    print(label, file=sys.stderr)
    for n, r in res.items():
        top = ", ".join(f"{k} {v:.0f}" for k, v in list(r["threads_ms"].items())[:6])
        per = "" if r["ms_per_write"] is None else f", {r['ms_per_write']} ms per write"
        print(f"  {n}: {r['cpu_ms']:.0f} ms{per} ({top})", file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir")
    p.add_argument("names", nargs="+")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--rate", type=float, default=50)
    p.add_argument("--warmup", type=float, default=10)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--idle", type=float, default=20)
    p.add_argument("--out")
    a = p.parse_args()
    procs, ports = {}, {}
    for n in a.names:
        try:
            with open(os.path.join(a.dir, n + ".pid")) as f:
                procs[n] = int(f.read())
            with open(os.path.join(a.dir, n + ".port")) as f:
                ports[n] = f.read().strip()
        except OSError as e:
            sys.exit(f"no process {n} in {a.dir} ({e.strerror}): start it with e2e/stack.sh replica {a.dir} {n}")
    stack = load_mod.Stack(a.dir)
    stack.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    for i in range(load_mod.UPDATE_POOL):
        stack.request("POST", f"/api/v1/namespaces/{NAMESPACE}/services", load_mod.service(f"u-{i}", NAMESPACE))
    load = load_mod.Load(stack, NAMESPACE, "Local")
    results = []

    def idle(label):
        before = reading(procs)
        time.sleep(a.idle)  # the idle window itself, nothing is awaited
        results.append({"window": label, "seconds": a.idle, "processes": window(procs, before, reading(procs), 0)})
        show(label, results[-1]["processes"])

    idle("idle, before")
    for rnd in range(a.rounds):
        for called in a.names if rnd % 2 == 0 else a.names[::-1]:
            subprocess.run([os.path.join(here, "..", "e2e", "stack.sh"), "register", a.dir, ports[called]], check=True,
                           env={**os.environ, "KUBECONFIG": os.path.join(a.dir, "kubeconfig")})
            load.run("warmup", 8, a.rate, a.warmup)
            for w in (1, 2):
                before = reading(procs)
                seconds = load.run(f"r{rnd}w{w}", 8, a.rate, a.seconds)
                writes = sum(load.outcomes.values())
                bad = load.outcomes["wrong"] + load.outcomes["failed"]
                label = f"round {rnd + 1}, {called} called, window {w}: {writes} writes in {seconds:.1f} s, {bad} wrong or failed"
                results.append({"round": rnd + 1, "called": called, "window": w, "writes": writes, "bad": bad,
                                "seconds": round(seconds, 1), "processes": window(procs, before, reading(procs), writes)})
                show(label, results[-1]["processes"])
    idle("idle, after")
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=1)
    return 1 if any(r.get("bad") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
