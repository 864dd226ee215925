-- wrk script for bench/load.sh: POSTs the AdmissionReview in $BENCH_BODY with
-- Content-Type application/json over keep-alive connections, and prints one
-- parseable summary line (wrk --latency prints p50..p99; p99.9 comes from here).
local path = os.getenv("BENCH_BODY")
local f = assert(io.open(path, "rb"), "cannot read BENCH_BODY=" .. tostring(path))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d mean_us=%.1f " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
