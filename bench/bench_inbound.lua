-- SPDX-License-Identifier: MIT
-- wrk script for bench_inbound.sh: Kannel-style GET /sms/inbound from
-- 10,000 distinct numbers with a mix of join / confirm / stop / help /
-- unknown text, each request with its own gateway id (as Kannel's %I).
-- Env: BENCH_SECRET (http.inbound_secret), BENCH_NUMBERS (default 10000).
local secret = os.getenv("BENCH_SECRET") or ""
local numbers = tonumber(os.getenv("BENCH_NUMBERS") or "10000")
local texts = {
	"FRIVILLIG%20SPORT",               -- join, Danish, an interest
	"JOIN%20CULTURE%202004",           -- join, English, interest and birth year
	"%D8%A7%D9%86%D8%B6%D9%85",        -- join, Arabic
	"JA", "ja%20tak", "YES",           -- confirm
	"%D9%86%D8%B9%D9%85",              -- confirm, Arabic
	"STOP",                            -- stop
	"HJ%C3%86LP",                      -- help
	"hej%20med%20dig",                 -- unknown: help at most once an hour
}
-- setup() runs in the main Lua state; each thread gets its own number
-- as the global `tid` (a file-level local would stay 0 in every thread
-- and two threads would send the same gateway ids).
local next_tid = 0

function setup(thread)
	next_tid = next_tid + 1
	thread:set("tid", next_tid)
end

local n = 0
function init(args)
	math.randomseed(tid * 7919)
end

function request()
	n = n + 1
	local num = 4560000000 + math.random(0, numbers - 1)
	local text = texts[math.random(1, #texts)]
	local path = string.format(
		"/sms/inbound?secret=%s&from=%d&to=1220&text=%s&id=bench-%d-%d",
		secret, num, text, tid, n)
	return wrk.format("GET", path)
end

function done(summary, latency, requests)
	local non2xx = summary.errors.status
	io.write(string.format("WRK requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
		"duration_us=%d p50_us=%d p99_us=%d max_us=%d\n",
		summary.requests, non2xx, summary.errors.connect, summary.errors.read,
		summary.errors.write, summary.errors.timeout, summary.duration,
		latency:percentile(50), latency:percentile(99), latency.max))
end
