-- SPDX-License-Identifier: MIT
-- wrk script for bench_inbound.sh: the same summary line for GET /healthz.
function done(summary, latency, requests)
	io.write(string.format("WRK requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
		"duration_us=%d p50_us=%d p99_us=%d max_us=%d\n",
		summary.requests, summary.errors.status, summary.errors.connect, summary.errors.read,
		summary.errors.write, summary.errors.timeout, summary.duration,
		latency:percentile(50), latency:percentile(99), latency.max))
end
