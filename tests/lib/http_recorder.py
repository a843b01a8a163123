#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A tiny HTTP server that records every request as one JSON line.

Stands in for whatever a peer calls back: budbringerd's /sms/inbound and
/sms/dlr when a test only checks Kannel, a REST gateway's callback target,
a webhook. Every request gets the same answer.

Usage:
  http_recorder.py --port PORT --log FILE [--status 200] [--body ok]
                   [--content-type text/plain] [--port-file FILE]

  --port 0 picks a free port; the port is printed on stdout (and written to
  --port-file) once the server listens.

Each log line (written and flushed before the answer is sent):
  {"n": 1, "time": 1700000000.123, "method": "GET",
   "path": "/sms/dlr?id=1&status=8", "route": "/sms/dlr",
   "query": {"id": ["1"], "status": ["8"]}, "headers": {...},
   "body": "...", "body_hex": null}
"query" values are URL-decoded as UTF-8 ("+" is a space); "body" is the
request body as UTF-8 text, or null with "body_hex" set when it is not UTF-8.
"""
import argparse
import http.server
import json
import os
import signal
import sys
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--log", required=True)
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--body", default="ok")
    ap.add_argument("--content-type", default="text/plain")
    ap.add_argument("--port-file")
    args = ap.parse_args()

    lock = threading.Lock()
    counter = [0]
    logf = open(args.log, "a", encoding="utf-8")
    answer = args.body.encode("utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without TCP_NODELAY every
        # keep-alive request waits for a delayed ACK (~40 ms).
        disable_nagle_algorithm = True

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            url = urllib.parse.urlsplit(self.path)
            try:
                text, hexed = body.decode("utf-8"), None
            except UnicodeDecodeError:
                text, hexed = None, body.hex()
            with lock:
                counter[0] += 1
                rec = {"n": counter[0], "time": round(time.time(), 3),
                       "method": self.command, "path": self.path,
                       "route": url.path,
                       "query": urllib.parse.parse_qs(
                           url.query, keep_blank_values=True,
                           errors="replace"),
                       "headers": dict(self.headers.items()),
                       "body": text, "body_hex": hexed}
                logf.write(json.dumps(rec, ensure_ascii=False) + "\n")
                logf.flush()
            self.send_response(args.status)
            self.send_header("Content-Type", args.content_type)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        def log_message(self, fmt, *a):
            pass

    http.server.ThreadingHTTPServer.daemon_threads = True
    srv = http.server.ThreadingHTTPServer((args.host, args.port), Handler)
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.replace(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    sys.exit(main())
