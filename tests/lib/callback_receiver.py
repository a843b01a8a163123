#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A status-callback receiver for tests: verifies signatures, records every request.

Usage:
  callback_receiver.py --port PORT --log FILE --secrets FILE --mode-file FILE
                       [--hang SECONDS] [--port-file FILE]

--secrets: lines "PATH SECRET" (read at each request: receivers are
registered after the receiver starts). Requests to a path not listed get 404.
--mode-file: read at each request; its first word decides the answer for
every listed path: "ok" (200), "500", "hang" (sleep --hang seconds, then
200 to whoever is still there), or a status number. A path listed with a
status after its secret ("PATH SECRET 410") always gets that status.

Each request is one JSON line in --log, written before answering:
  {"n", "time", "path", "event_id", "event_type", "signature",
   "sig_ok", "body", "answer"}
sig_ok: Budbringer-Signature is "t=T,v1=HEX", HEX = HMAC-SHA256(secret,
"T." + body) (compared in constant time), and T within 5 minutes of now.
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import signal
import sys
import threading
import time


def verify(secret, header, body):
    if not header or not secret:
        return False
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t, sig = parts.get("t", ""), parts.get("v1", "")
    if not t.isdigit() or abs(time.time() - int(t)) > 300:
        return False
    want = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, sig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log", required=True)
    ap.add_argument("--secrets", required=True)
    ap.add_argument("--mode-file", required=True)
    ap.add_argument("--hang", type=float, default=5)
    ap.add_argument("--port-file")
    args = ap.parse_args()
    lock = threading.Lock()
    counter = [0]
    logf = open(args.log, "a", encoding="utf-8")

    def read_secrets():
        out = {}
        try:
            with open(args.secrets, encoding="utf-8") as f:
                for line in f:
                    w = line.split()
                    if len(w) >= 2:
                        out[w[0]] = (w[1], int(w[2]) if len(w) > 2 else None)
        except OSError:
            pass
        return out

    def read_mode():
        try:
            with open(args.mode_file, encoding="utf-8") as f:
                return (f.read().split() or ["ok"])[0]
        except OSError:
            return "ok"

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            secrets = read_secrets()
            entry = secrets.get(self.path)
            mode = read_mode()
            if entry is None:
                answer = "404"
            elif entry[1] is not None:
                answer = str(entry[1])
            else:
                answer = mode
            with lock:
                counter[0] += 1
                rec = {
                    "n": counter[0], "time": time.time(), "path": self.path,
                    "event_id": self.headers.get("Budbringer-Event-Id"),
                    "event_type": self.headers.get("Budbringer-Event-Type"),
                    "content_type": self.headers.get("Content-Type"),
                    "signature": self.headers.get("Budbringer-Signature"),
                    "sig_ok": verify(entry[0] if entry else None,
                                     self.headers.get("Budbringer-Signature"), body),
                    "body": body.decode("utf-8", "replace"), "answer": answer,
                }
                logf.write(json.dumps(rec) + "\n")
                logf.flush()
            if answer == "hang":
                time.sleep(args.hang)
                answer = "200"
            if answer == "ok":
                answer = "200"
            code = int(answer) if answer.isdigit() else 500
            out = b'{"ok":true}' if code < 300 else b'{"error":"test receiver says no"}'
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
            except OSError:
                pass  # the sender gave up waiting (hang)

        def log_message(self, fmt, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    def stop(*_):
        srv.shutdown()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
