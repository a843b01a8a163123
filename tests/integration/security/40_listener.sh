#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 13, items 8 and 9: logins cannot take the listener down or keep a
# removed user in; a few client addresses cannot take every connection.
# (The per-address login back-off itself is tested in test_dashboard.sh.)
. "$(dirname "$0")/../../lib/common.sh"
. "$(dirname "$0")/../../lib/budbringerd.sh"

require_cmd curl sqlite3
PASSWORD="rugbrød og leverpostej 2026"
HASH=$(printf '%s\n' "$PASSWORD" | "$BB_BIN/budbringer" hash-password) || die "hash-password"
staff() { echo "staff = ( { user = \"anna\"; password_hash = \"$HASH\"; lang = \"en\"; }$1 );"; }
BB_ROOT_EXTRA=$(staff ", { user = \"bo\"; password_hash = \"$HASH\"; lang = \"da\"; }")
bb_config
bb init >/dev/null
bb_start

login_cookie() { # login_cookie USER: logs in from 127.0.0.1, prints the session cookie's jar
	local j=$TEST_TMPDIR/jar-$1 c
	c=$(curl -s -c "$j" "$BB_URL/dashboard/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
	curl -s -o /dev/null -w '%{http_code}' -b "$j" -c "$j" "$BB_URL/dashboard/login" \
		--data-urlencode "user=$1" --data-urlencode "password=$PASSWORD" --data-urlencode "csrf=$c"
}

# --- item 8: a user removed from staff loses their session at once ----------
assert_eq 303 "$(login_cookie bo)" "bo logs in"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' -b "$TEST_TMPDIR/jar-bo" "$BB_URL/dashboard")" \
	"bo's session opens the dashboard"
assert_eq 303 "$(login_cookie anna)" "anna logs in"
sed -i "s|^staff = .*|$(staff "" | sed 's/[|&]/\\&/g')|" "$BB_CONF"
assert_not_contains "$(cat "$BB_CONF")" 'user = "bo"' "bo is removed from the staff list"
kill -HUP "$BB_PID"
wait_until "[ \$(grep -c 'configuration reloaded' '$BB_LOG') -ge 1 ]" 10 "$BB_PID" || fail "the reload did not happen"
assert_eq 303 "$(curl -s -o /dev/null -w '%{http_code}' -b "$TEST_TMPDIR/jar-bo" "$BB_URL/dashboard")" \
	"after the reload bo's session no longer opens the dashboard"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM dashboard_sessions WHERE \"user\" = 'bo'")" "… and is gone from the database"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' -b "$TEST_TMPDIR/jar-anna" "$BB_URL/dashboard")" \
	"anna's session goes on"

# --- item 8: a login flood does not occupy the listener ---------------------
"$BB_PYTHON" - "$BB_HTTP_PORT" "$BB_URL" "$BB_INBOUND_SECRET" > "$TEST_TMPDIR/flood.txt" <<'PY'
import concurrent.futures, random, socket, string, sys, time, urllib.parse, urllib.request
port, url, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def login(i):
    src = "127.0.1.%d" % (1 + i % 200)          # 200 addresses: per-address back-off cannot help
    s = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(src, 0))
    body = urllib.parse.urlencode({"user": "".join(random.choices(string.ascii_lowercase, k=12)),
                                   "password": "x" * 20, "csrf": "c"}).encode()
    s.sendall(b"POST /dashboard/login HTTP/1.1\r\nHost: x\r\nCookie: bb_login=c\r\n"
              b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n"
              b"Connection: close\r\n\r\n" % len(body) + body)
    head = s.recv(64).split(b"\r\n")[0].decode()
    s.close()
    return head.split(" ")[1] if " " in head else "closed"
def timed(u):
    t = time.monotonic()
    code = urllib.request.urlopen(u, timeout=30).status
    return code, time.monotonic() - t
with concurrent.futures.ThreadPoolExecutor(max_workers=200) as ex:
    flood = [ex.submit(login, i) for i in range(600)]
    time.sleep(0.2)
    probes = [timed(url + "/healthz") for _ in range(5)]
    probes += [timed(url + "/sms/inbound?secret=%s&from=4520990001&to=1220&text=HJ%%C3%%86LP&id=fl-%d" % (secret, k))
               for k in range(3)]
    codes = [f.result() for f in flood]
print("codes", " ".join(sorted(set(codes))))
print("probe_codes", " ".join(sorted({str(c) for c, _ in probes})))
print("probe_max_ms", int(max(t for _, t in probes) * 1000))
PY
note "$(cat "$TEST_TMPDIR/flood.txt")"
assert_eq "probe_codes 200" "$(grep '^probe_codes' "$TEST_TMPDIR/flood.txt")" \
	"during 600 logins from 200 addresses /healthz and the SMS webhook answer 200"
assert_num -lt "$(sed -n 's/^probe_max_ms //p' "$TEST_TMPDIR/flood.txt")" 1000 "… each within 1 s (generous: measured in ms; the old listener took seconds)"
assert_contains "$(grep '^codes' "$TEST_TMPDIR/flood.txt")" "503" \
	"logins beyond the hashing slots are answered 503 at once instead of waiting for a thread"
busy=$(curl -s "$BB_URL/metrics" | sed -n 's/^budbringer_dashboard_login_busy_total \([0-9]*\).*/\1/p')
assert_num -gt "${busy:-0}" 0 "… and counted in /metrics"
assert_eq 303 "$(login_cookie anna)" "after the flood anna logs in"

# --- item 9: a few addresses cannot take every connection --------------------
"$BB_PYTHON" - "$BB_HTTP_PORT" > "$TEST_TMPDIR/slow.txt" <<'PY'
import socket, sys, time, urllib.request
port = int(sys.argv[1])
held = {}
for a in range(2, 7):                      # five attackers, 110 connections each
    src = "127.0.0.%d" % a
    held[src] = []
    for i in range(110):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2, source_address=(src, 0))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            held[src].append(s)
        except OSError:
            pass
time.sleep(1.0)
alive = {}
for src, socks in held.items():
    n = 0
    for s in socks:
        try:
            s.sendall(b"X-Slow: 1\r\n")    # one header line, as a slow client trickles
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    continue                # closed by the server
            except BlockingIOError:
                pass
            n += 1
        except OSError:
            pass
    alive[src] = n
try:
    code = urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5).status
except Exception as e:
    code = "error %s" % e
print("max_held", max(alive.values()))
print("fresh", code)
PY
note "$(cat "$TEST_TMPDIR/slow.txt")"
assert_num -le "$(sed -n 's/^max_held //p' "$TEST_TMPDIR/slow.txt")" 64 \
	"one address holds at most http.max_connections_per_address (64) connections"
assert_eq "fresh 200" "$(grep '^fresh' "$TEST_TMPDIR/slow.txt")" \
	"with five addresses holding all they may, a new client is still served"
bb_stop

# --- item 9: a request that trickles in is cut at its deadline ---------------
sed -i "s|^  listen = .*|&\n  request_timeout = 3;|" "$BB_CONF"
bb_start
"$BB_PYTHON" - "$BB_HTTP_PORT" > "$TEST_TMPDIR/trickle.txt" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=1, source_address=("127.0.0.8", 0))
s.sendall(b"POST /sms/inbound HTTP/1.1\r\nHost: x\r\n")
t0 = time.monotonic()
closed = None
while time.monotonic() - t0 < 20:
    try:
        s.sendall(b"X-Slow: 1\r\n")      # a byte every half second: the idle timeout never fires
        s.settimeout(0.5)
        try:
            if s.recv(1) == b"":
                closed = time.monotonic() - t0
                break
        except socket.timeout:
            pass
    except OSError:
        closed = time.monotonic() - t0
        break
print("closed_after_ms", int(closed * 1000) if closed is not None else -1)
# A request that arrives at once on a fresh connection is served as ever.
import urllib.request
print("fresh", urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5).status)
PY
note "$(cat "$TEST_TMPDIR/trickle.txt")"
cut=$(sed -n 's/^closed_after_ms //p' "$TEST_TMPDIR/trickle.txt")
assert_num -ge "$cut" 2500 "a trickling request is not cut before its deadline (3 s)"
assert_num -le "$cut" 8000 "… but cut soon after it although it keeps sending (took ${cut} ms)"
assert_eq "fresh 200" "$(grep '^fresh' "$TEST_TMPDIR/trickle.txt")" "requests that arrive in time are served"
bb_stop
done_testing
