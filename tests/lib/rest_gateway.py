#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Fake JSON REST SMS gateway for integration tests and benchmarks.

It imitates the commercial Danish/EU HTTP gateways budbringerd's `rest`
provider talks to, records every request, injects faults on demand and can
post delivery reports back.

Usage:
  rest_gateway.py --port PORT --log FILE [--token TOKEN] [--control FILE]
                  [--mode MODE] [--fail-first N] [--fail-status 500]
                  [--invalid MSISDN]... [--hang-seconds 30]
                  [--success-status 200] [--auto-dlr STATUS]
                  [--auto-dlr-delay 0.2] [--fast] [--port-file FILE]
  The port (useful with --port 0) is printed on stdout once listening.

API (what budbringerd calls):
  POST /mobile/single   GatewayAPI's Message API (see message_api())
  POST /sms   Authorization: Bearer TOKEN   (checked when --token is given)
    {"sender": "Kommune", "message": "Hej", "encoding": "UCS2",
     "recipients": [{"msisdn": 4512345678}], "userref": "m-17",
     "callback_url": "http://127.0.0.1:P/sms/dlr"}
    -> 200 {"ids": [{"msisdn": 4512345678, "id": "gw-1"}]}
    401 {"error": "unauthorized"}, 400 {"error": "..."} for bad JSON or
    missing fields. msisdn is echoed back with the type it was sent with.
    An `Idempotency-Key` header seen before with a success gets the same
    answer again (no new ids; logged with "replay": true), also while the
    request that took the key is still hanging.

Fault injection. Settings come from the CLI, then from the JSON control file
(re-read whenever it changes; counters restart), or from POST /_control/config:
  "mode":           "ok" (default) | "hang" | "close" | "garbage" | "NNN"
  "sequence":       ["500", "hang", "ok", ...] one entry per request, used
                    before "fail_first" and "mode"
  "fail_first": N, "fail_status": 500   first N requests get that status
  "invalid_msisdns": ["4500000000"]     400 {"error": "invalid recipient"}
  "hang_seconds": 30   "hang": read the request, answer nothing for that
                       long, then close (longer than the client's timeout)
  "close":    send the status line, headers and part of the body, then close
  "garbage":  200 with a body that is not JSON
              hang, close and garbage are a real gateway whose answer got
              lost: the request is first handled like "ok" (the message is
              accepted and its Idempotency-Key stored, or it is a replay),
              then the answer is withheld, cut off or garbled
  "dedupe":   true (default) | false: false ignores Idempotency-Key (a
              gateway without de-duplication: every request is new)
  "NNN":      that HTTP status with {"error": "injected NNN"} (503 and 429
              carry Retry-After: 1)
  "delay":    seconds to wait before answering every request
  "success_status": 200 | 201 | 202
  "auto_dlr": "DELIVERED" | ... post a DLR for every accepted message after
              "auto_dlr_delay" seconds (default: none)

Control routes (no auth):
  GET  /_control/state    {"requests", "accepted", "messages", "dlrs", ...}
  POST /_control/config   body = control JSON (replaces the settings)
  POST /_control/dlr      {"id": "gw-3", "status": "DELIVERED", "error": null,
                           "code": null} posts a DLR to that message's
                           callback_url; answers {"callback_status": 200}
  POST /_control/reset    zero the counters and forget messages

DLR body posted to callback_url (JSON, Content-Type application/json):
  {"id": "gw-3", "msisdn": 4512345678, "status": "DELIVERED",
   "time": 1700000000, "error": null, "code": null, "userref": "m-17"}

Log: one JSON line per event in --log, flushed before the answer is sent:
  {"kind": "request", "n", "time", "method", "path", "headers", "auth_ok",
   "body", "json", "action", "status", "response", "replay", "accepted",
   "ids", "lost_answer"}
  "accepted": true when this request made the gateway take the message
  (new ids; never for a replay), whatever answer the client then got;
  "ids": the ids given or replayed; "lost_answer": for hang, close and
  garbage, the answer (status and body) the client should have got.
  {"kind": "dlr", "time", "id", "url", "payload", "callback_status",
   "callback_error"}

--fast: benchmark mode. POST /sms parses the JSON, answers 202 with ids at
once; nothing is written per request (counters only, see /_control/state);
the control file and faults are ignored.
"""
import argparse
import http.server
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

DEFAULTS = {"mode": "ok", "sequence": [], "fail_first": 0,
            "fail_status": 500, "invalid_msisdns": [], "hang_seconds": 30,
            "delay": 0, "success_status": 200, "auto_dlr": None,
            "auto_dlr_delay": 0.2, "dedupe": True}


class Gateway:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.logf = open(args.log, "a", encoding="utf-8") if args.log else None
        self.base = dict(DEFAULTS)
        for k in ("mode", "fail_first", "fail_status", "hang_seconds",
                  "success_status", "auto_dlr", "auto_dlr_delay"):
            v = getattr(args, k)
            if v is not None:
                self.base[k] = v
        self.base["invalid_msisdns"] = list(args.invalid or [])
        self.control_sig = None
        self.reset()
        self.set_config({})

    def reset(self):
        self.requests = 0
        self.accepted = 0
        self.next_id = 0
        self.messages = {}      # id -> {"msisdn", "userref", "callback_url"}
        self.idem = {}          # Idempotency-Key -> (status, body)
        self.dlrs = 0

    def set_config(self, cfg):
        with self.lock:
            c = dict(self.base)
            c.update(cfg)
            c["sequence"] = list(c.get("sequence") or [])
            c["invalid_msisdns"] = {str(x) for x in c["invalid_msisdns"]}
            self.cfg = c
            self.since_config = 0

    def maybe_reload(self):
        path = self.args.control
        if not path:
            return
        try:
            st = os.stat(path)
            sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            sig = None
        if sig == self.control_sig:
            return
        self.control_sig = sig
        cfg = {}
        if sig is not None:
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                cfg = json.loads(text) if text.strip() else {}
            except (OSError, ValueError) as e:
                print("rest_gateway: bad control file: %s" % e, file=sys.stderr)
                return
        self.set_config(cfg)

    def log(self, rec):
        if self.logf is None:
            return
        with self.lock:
            self.logf.write(json.dumps(rec, ensure_ascii=False) + "\n")
            self.logf.flush()

    def choose_action(self):
        """Pick this request's action; caller holds the lock."""
        c = self.cfg
        self.since_config += 1
        if c["sequence"]:
            return str(c["sequence"].pop(0))
        if self.since_config <= int(c["fail_first"] or 0):
            return str(c["fail_status"])
        return str(c["mode"])

    def accept(self, doc):
        """Assign ids; caller holds the lock. Returns the ids list."""
        ids = []
        for r in doc["recipients"]:
            self.next_id += 1
            gid = "gw-%d" % self.next_id
            ids.append({"msisdn": r["msisdn"], "id": gid})
            self.messages[gid] = {"msisdn": r["msisdn"],
                                  "userref": doc.get("userref"),
                                  "callback_url": doc.get("callback_url")}
        self.accepted += 1
        return ids

    def post_dlr(self, gid, status="DELIVERED", error=None, code=None):
        with self.lock:
            m = self.messages.get(gid)
        if m is None:
            return 404, {"error": "unknown id"}
        payload = {"id": gid, "msisdn": m["msisdn"], "status": status,
                   "time": int(time.time()), "error": error, "code": code,
                   "userref": m["userref"]}
        rec = {"kind": "dlr", "time": round(time.time(), 3), "id": gid,
               "url": m["callback_url"], "payload": payload,
               "callback_status": None, "callback_error": None}
        if not m["callback_url"]:
            rec["callback_error"] = "no callback_url"
        else:
            req = urllib.request.Request(
                m["callback_url"], data=json.dumps(payload).encode("utf-8"),
                headers={"Content-Type": "application/json"}, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=5) as resp:
                    rec["callback_status"] = resp.status
            except urllib.error.HTTPError as e:
                rec["callback_status"] = e.code
            except (urllib.error.URLError, OSError) as e:
                rec["callback_error"] = str(e)
        with self.lock:
            self.dlrs += 1
        self.log(rec)
        return 200, {"callback_status": rec["callback_status"],
                     "callback_error": rec["callback_error"]}


def validate(doc):
    if doc is None:
        return "invalid JSON"
    if not isinstance(doc, dict):
        return "body must be a JSON object"
    if not isinstance(doc.get("message"), str) or not doc["message"]:
        return "missing message"
    if not isinstance(doc.get("sender"), str) or not doc["sender"]:
        return "missing sender"
    rc = doc.get("recipients")
    if not isinstance(rc, list) or not rc:
        return "missing recipients"
    for r in rc:
        if not isinstance(r, dict) or not isinstance(r.get("msisdn"),
                                                     (int, str)):
            return "recipient without msisdn"
    return None


def make_handler(gw):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without TCP_NODELAY every
        # keep-alive request waits for a delayed ACK (~40 ms).
        disable_nagle_algorithm = True

        def log_message(self, fmt, *a):
            pass

        def _body(self):
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n > 0 else b""

        def _send(self, status, obj=None, raw=None, extra=()):
            data = raw if raw is not None else \
                json.dumps(obj, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
            return data

        def do_GET(self):
            if self.path.startswith("/_control/state"):
                with gw.lock:
                    st = {"requests": gw.requests, "accepted": gw.accepted,
                          "messages": gw.next_id, "dlrs": gw.dlrs,
                          "config": {k: (sorted(v) if isinstance(v, set)
                                         else v)
                                     for k, v in gw.cfg.items()}}
                return self._send(200, st)
            self._send(404, {"error": "not found"})

        def do_POST(self):
            body = self._body()
            if self.path.startswith("/_control/"):
                return self.control(body)
            if self.path.split("?")[0] == "/mobile/single":
                return self.message_api(body)
            if self.path.split("?")[0] != "/sms":
                return self._send(404, {"error": "not found"})
            if gw.args.fast:
                return self.fast(body)
            return self.sms(body)

        def control(self, body):
            try:
                doc = json.loads(body) if body.strip() else {}
            except ValueError:
                return self._send(400, {"error": "bad json"})
            route = self.path.split("?")[0]
            if route == "/_control/config":
                gw.set_config(doc)
                return self._send(200, {"ok": True})
            if route == "/_control/reset":
                with gw.lock:
                    gw.reset()
                return self._send(200, {"ok": True})
            if route == "/_control/dlr":
                st, obj = gw.post_dlr(str(doc.get("id")),
                                      doc.get("status", "DELIVERED"),
                                      doc.get("error"), doc.get("code"))
                return self._send(st, obj)
            return self._send(404, {"error": "not found"})

        def fast(self, body):
            try:
                doc = json.loads(body)
                rc = doc["recipients"]
            except (ValueError, KeyError, TypeError):
                return self._send(400, {"error": "bad request"})
            auth = self.headers.get("Authorization", "")
            if gw.args.token and auth != "Bearer " + gw.args.token:
                return self._send(401, {"error": "unauthorized"})
            if not isinstance(rc, list) or \
                    not all(isinstance(r, dict) for r in rc):
                return self._send(400, {"error": "bad recipients"})
            with gw.lock:
                gw.requests += 1
                out = []
                for r in rc:
                    gw.next_id += 1
                    out.append({"msisdn": r.get("msisdn"),
                                "id": "gw-%d" % gw.next_id})
                gw.accepted += 1
            self._send(202, {"ids": out})

        def sms(self, body):
            gw.maybe_reload()
            auth = self.headers.get("Authorization", "")
            auth_ok = not gw.args.token or auth == "Bearer " + gw.args.token
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            try:
                doc = json.loads(text) if text is not None else None
            except ValueError:
                doc = None
            with gw.lock:
                gw.requests += 1
                n = gw.requests
                action = gw.choose_action() if auth_ok else "401"
                delay = float(gw.cfg["delay"] or 0)
                hang = float(gw.cfg["hang_seconds"])
                success = int(gw.cfg["success_status"])
                invalid = gw.cfg["invalid_msisdns"]
                dedupe = bool(gw.cfg["dedupe"])
            rec = {"kind": "request", "n": n, "time": round(time.time(), 3),
                   "method": self.command, "path": self.path,
                   "headers": dict(self.headers.items()), "auth_ok": auth_ok,
                   "body": text, "json": doc, "action": action,
                   "status": None, "response": None, "replay": False,
                   "accepted": False, "ids": None, "lost_answer": None}
            if delay > 0:
                time.sleep(delay)
            if action in ("hang", "close", "garbage"):
                # The gateway does its work; only the answer goes astray.
                st, obj = self.accept(doc, success, invalid, rec, dedupe)
                rec["lost_answer"] = {"status": st, "body": obj}
            if action == "hang":
                gw.log(rec)
                time.sleep(hang)
                self.close_connection = True
                return
            if action == "close":
                rec["response"] = '{"ids": [{"msis'
                gw.log(rec)
                self.wfile.write(b"HTTP/1.1 200 OK\r\n"
                                 b"Content-Type: application/json\r\n"
                                 b"Content-Length: 200\r\n\r\n"
                                 b'{"ids": [{"msis')
                self.wfile.flush()
                self.close_connection = True
                return
            if action == "garbage":
                raw = b"<html><body>Internal gateway error</body></html>"
                rec.update(status=200, response=raw.decode())
                gw.log(rec)
                return self._send(200, raw=raw)
            if action == "401":
                obj, status = {"error": "unauthorized"}, 401
            elif action.isdigit():
                status = int(action)
                obj = {"error": "injected %d" % status}
            elif action != "ok":
                status, obj = 500, {"error": "unknown mode %s" % action}
            else:
                status, obj = self.accept(doc, success, invalid, rec, dedupe)
            extra = [("Retry-After", "1")] if status in (429, 503) else []
            rec.update(status=status,
                       response=json.dumps(obj, ensure_ascii=False))
            gw.log(rec)
            self._send(status, obj, extra=extra)
            if status < 300 and gw.cfg.get("auto_dlr") and not rec["replay"]:
                self.auto_dlr(obj["ids"])

        def message_api(self, body):
            """GatewayAPI's Message API, POST /mobile/single, as its docs
            show it (gatewayapi.com/docs/message/overview): Authorization
            Token, JSON {"sender", "message", "recipient": integer,
            "reference"} -> {"msg_id", "recipient", "reference"}. Any other
            field, or a field of the wrong type, is refused with 422, so a
            test sees every departure from that shape."""
            gw.maybe_reload()
            auth = self.headers.get("Authorization", "")
            auth_ok = not gw.args.token or auth == "Token " + gw.args.token
            try:
                text = body.decode("utf-8")
                doc = json.loads(text)
            except (UnicodeDecodeError, ValueError):
                text, doc = None, None
            with gw.lock:
                gw.requests += 1
                n = gw.requests
                invalid = gw.cfg["invalid_msisdns"]
            rec = {"kind": "request", "n": n, "time": round(time.time(), 3),
                   "method": self.command, "path": self.path,
                   "headers": dict(self.headers.items()), "auth_ok": auth_ok,
                   "body": text, "json": doc, "action": "message_api",
                   "status": None, "response": None, "replay": False,
                   "accepted": False, "ids": None, "lost_answer": None}
            allowed = {"sender": str, "message": str, "recipient": int,
                       "reference": str}
            err = None
            if not auth_ok:
                status, obj = 401, {"message": "unauthorized"}
            elif not isinstance(doc, dict):
                status, obj = 422, {"message": "body must be a JSON object"}
            else:
                for k, v in doc.items():
                    if k not in allowed:
                        err = "unknown field %s" % k
                    elif not isinstance(v, allowed[k]) or isinstance(v, bool):
                        err = "%s has the wrong type" % k
                for k in ("message", "recipient"):
                    if k not in doc:
                        err = "missing %s" % k
                if err:
                    status, obj = 422, {"message": err}
                elif str(doc["recipient"]) in invalid:
                    status, obj = 422, {"message": "invalid recipient"}
                else:
                    with gw.lock:
                        gw.next_id += 1
                        gid = "01JNN696A9E0WS89FPYGT%05d" % gw.next_id
                        gw.messages[gid] = {"msisdn": doc["recipient"],
                                            "userref": doc.get("reference"),
                                            "callback_url": None}
                        gw.accepted += 1
                    rec.update(accepted=True, ids=[gid])
                    status, obj = 200, {"msg_id": gid,
                                        "recipient": doc["recipient"],
                                        "reference": doc.get("reference")}
            rec.update(status=status, response=json.dumps(obj))
            gw.log(rec)
            self._send(status, obj)

        def accept(self, doc, success, invalid, rec, dedupe=True):
            err = validate(doc)
            if err:
                return 400, {"error": err}
            bad = [r["msisdn"] for r in doc["recipients"]
                   if str(r["msisdn"]) in invalid]
            if bad:
                return 400, {"error": "invalid recipient", "msisdn": bad[0]}
            key = self.headers.get("Idempotency-Key") if dedupe else None
            with gw.lock:
                if key and key in gw.idem:
                    rec["replay"] = True
                    ans = gw.idem[key]
                else:
                    ans = (success, {"ids": gw.accept(doc)})
                    rec["accepted"] = True
                    if key:
                        gw.idem[key] = ans
            rec["ids"] = [i["id"] for i in ans[1]["ids"]]
            return ans

        def auto_dlr(self, ids):
            status = gw.cfg["auto_dlr"]
            delay = float(gw.cfg["auto_dlr_delay"] or 0)

            def run():
                time.sleep(delay)
                for i in ids:
                    gw.post_dlr(i["id"], status)
            threading.Thread(target=run, daemon=True).start()

    return Handler


def main():
    ap = argparse.ArgumentParser(
        description="fake JSON REST SMS gateway (see the header of this file)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--log")
    ap.add_argument("--token")
    ap.add_argument("--control")
    ap.add_argument("--mode")
    ap.add_argument("--fail-first", type=int)
    ap.add_argument("--fail-status", type=int)
    ap.add_argument("--invalid", action="append")
    ap.add_argument("--hang-seconds", type=float)
    ap.add_argument("--success-status", type=int)
    ap.add_argument("--auto-dlr")
    ap.add_argument("--auto-dlr-delay", type=float)
    ap.add_argument("--fast", action="store_true")
    ap.add_argument("--port-file")
    args = ap.parse_args()
    if not args.log and not args.fast:
        ap.error("--log is required unless --fast")

    gw = Gateway(args)
    http.server.ThreadingHTTPServer.daemon_threads = True
    http.server.ThreadingHTTPServer.request_queue_size = 256
    srv = http.server.ThreadingHTTPServer((args.host, args.port),
                                          make_handler(gw))
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.replace(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
