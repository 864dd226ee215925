#!/usr/bin/env python3
"""The tables of bench/load.sh's report, from the rounds it wrote (one TSV row per round).

  report.py TSV --main-case NAME --concurrency N... --rate R --rate-clients C --foreign-max PCT --bad-requests N
            --target NAME HWM_KB (per target: webhook, floor, peer) --case NAME ENDPOINT TARGET... (per body: the
            targets that serve it)

Each cell is the median over the rounds of its kind, body, target and concurrency (the largest for RSS; for
"flagged", the count of flagged rounds); blank where nothing was measured. The targets at the end are the aims
docs/benchmarks.md quotes.
"""
import argparse
import csv
import statistics

LABELS = {"webhook": "webhook (JVM)", "floor": "floor (nginx)", "peer": "peer (agnhost)"}


def awk_number(x):
    """A computed median as awk prints it (integers whole, others to 6 significant digits), read back."""
    return float(x) if x == int(x) else float("%.6g" % x)


class Rounds:
    def __init__(self, path):
        with open(path, newline="") as f:
            self.rows = list(csv.DictReader(f, delimiter="\t"))

    def select(self, kind, case, target, conc):
        return [r for r in self.rows if (r["kind"], r["case"], r["target"], r["conc"]) == (kind, case, target, str(conc))]

    def agg(self, kind, case, target, conc, column):
        rows = self.select(kind, case, target, conc)
        if column == "flagged":
            return sum(r["flagged"] == "yes" for r in rows)
        if column == "rss_kb":
            return max([0.0] + [float(r["rss_kb"]) for r in rows])
        values = sorted(float(r[column]) for r in rows)
        if not values:
            return None
        return values[len(values) // 2] if len(values) % 2 else awk_number(statistics.median(values))

    def max_rss(self, target):
        return max([0.0] + [float(r["rss_kb"]) for r in self.rows if r["target"] == target])


def fmt(x, spec, scale=1.0):
    return "" if x is None else spec % (x / scale)


def ratio(a, b):
    return "%.2f" % (a / b) if a is not None and b is not None and b > 0 else ""


def check(value, at_least, bound):
    if value is None or value == "":
        return "n/a"
    value = float(value)
    return "met" if (value >= bound if at_least else value <= bound) else "**not met**"


def row(rounds, kind, case, target, conc):
    def a(column):
        return rounds.agg(kind, case, target, conc, column)

    cells = [fmt(a("rps"), "%.0f"), fmt(a("p50_us"), "%.2f", 1000), fmt(a("p99_us"), "%.2f", 1000),
             fmt(a("p999_us"), "%.2f", 1000), fmt(a("cpu_us_per_req"), "%.1f"), "%.0f" % (a("rss_kb") / 1024),
             str(a("flagged"))]
    return "| " + " | ".join(cells) + " |"


def report(args):
    r, main, targets = Rounds(args.tsv), args.main_case, [t for t, _ in args.target]
    hwm = {t: float(kb or 0) / 1024 for t, kb in args.target}
    out = [f"### ConfigMap validation (`{main}`), closed loop", "",
           "Median over rounds; latency in ms as wrk measures it; CPU is the server's utime+stime per request;"
           " RSS is the largest VmRSS after a round.", "",
           "| target | concurrency | req/s | p50 ms | p99 ms | p99.9 ms | CPU µs/req | RSS MB | flagged rounds |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for conc in args.concurrency:
        out += [f"| {LABELS[t]} | {conc} {row(r, 'closed', main, t, conc)}" for t in targets]

    out += ["", f"### Ratios (webhook ÷ other, `{main}`)", "",
            "| concurrency | req/s ÷ floor | req/s ÷ peer | CPU/req ÷ floor | CPU/req ÷ peer | p99 ÷ floor | p99 ÷ peer |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for conc in args.concurrency:
        cells = [ratio(r.agg("closed", main, "webhook", conc, col), r.agg("closed", main, other, conc, col))
                 for col in ("rps", "cpu_us_per_req", "p99_us") for other in ("floor", "peer")]
        out.append(f"| {conc} | " + " | ".join(cells) + " |")

    out += ["", "### Every body at concurrency 16", "",
            "| body | webhook endpoint | target | req/s | p50 ms | p99 ms | p99.9 ms | CPU µs/req | RSS MB | flagged rounds"
            " | req/s ÷ floor |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, endpoint, *serving in args.case:
        for t in (t for t in targets if t in serving):
            out.append(f"| `{name}` | `{endpoint}` | {LABELS[t]} {row(r, 'closed', name, t, 16)} "
                       f"{ratio(r.agg('closed', name, t, 16, 'rps'), r.agg('closed', name, 'floor', 16, 'rps'))} |")

    out += ["", f"### Fixed rate: {args.rate} req/s (`{main}`, h2load --h1, {args.rate_clients} connections"
                f" × {args.rate // args.rate_clients} req/s)", "",
            "Latency from h2load's per-request log (nearest rank), measured from when each request is sent.", "",
            "| target | achieved req/s | p50 ms | p99 ms | p99.9 ms | CPU µs/req | RSS MB | flagged rounds |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    out += [f"| {LABELS[t]} {row(r, 'rate', main, t, args.rate_clients)}" for t in targets]

    out += ["", "### Memory", "", "| target | largest VmRSS after a round, MB | peak VmHWM at the end, MB |",
            "| --- | ---: | ---: |"]
    out += [f"| {LABELS[t]} | {r.max_rss(t) / 1024:.0f} | {hwm[t]:.0f} |" for t in targets]

    w16 = r.agg("closed", main, "webhook", 16, "rps")
    bodies = {x["case"] for x in r.rows if (x["kind"], x["target"], x["conc"]) == ("closed", "webhook", "16")}
    cpu_worst = max((r.agg("closed", n, "webhook", 16, "cpu_us_per_req") for n in bodies), default=None)
    w_rss = awk_number(r.max_rss("webhook") / 1024)
    r_peer = ratio(w16, r.agg("closed", main, "peer", 16, "rps"))
    r_floor = ratio(w16, r.agg("closed", main, "floor", 16, "rps"))
    p999_rate = r.agg("rate", main, "webhook", args.rate_clients, "p999_us")
    achieved = r.agg("rate", main, "webhook", args.rate_clients, "rps")
    verdict = check(p999_rate, False, 2000)
    if achieved is not None and achieved < 0.95 * args.rate:
        verdict = f"**not met** (only {achieved:.0f} req/s sustained)"
    out += ["", "### Targets", "", "| target | measured | |", "| --- | --- | --- |",
            f"| req/s ≥ 1.25 × peer at concurrency 16 | {r_peer + ' ×' if r_peer else 'n/a (no peer)'}"
            f" | {check(r_peer, True, 1.25)} |",
            f"| req/s ≥ 0.35 × floor at concurrency 16 | {r_floor + ' ×' if r_floor else 'n/a'}"
            f" | {check(r_floor, True, 0.35)} |",
            f"| server CPU ≤ 35 µs per request (worst body, concurrency 16) | {fmt(cpu_worst, '%.1f')} µs"
            f" | {check(cpu_worst, False, 35)} |",
            f"| p99.9 ≤ 2 ms at {args.rate} req/s | {fmt(p999_rate, '%.2f', 1000)} ms | {verdict} |",
            f"| RSS ≤ 150 MB under load | {w_rss:.0f} MB (peak VmHWM {hwm['webhook']:.0f} MB) | {check(w_rss, False, 150)} |",
            "", f"flagged rounds (other processes used more than {args.foreign_max}% of a core):"
                f" {sum(x['flagged'] == 'yes' for x in r.rows)} of {len(r.rows)}; requests with a socket error or a"
                f" non-2xx answer: {args.bad_requests}"]
    print("\n".join(out))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("tsv")
    p.add_argument("--main-case", required=True)
    p.add_argument("--concurrency", type=int, nargs="+", required=True)
    p.add_argument("--rate", type=int, required=True)
    p.add_argument("--rate-clients", type=int, required=True)
    p.add_argument("--foreign-max", required=True)
    p.add_argument("--bad-requests", required=True)
    p.add_argument("--target", nargs=2, action="append", required=True, metavar=("NAME", "HWM_KB"))
    p.add_argument("--case", nargs="+", action="append", required=True, metavar="NAME ENDPOINT TARGET")
    report(p.parse_args())


if __name__ == "__main__":
    main()
