#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Recording SMTP server with fault injection, built on aiosmtpd.

Needs Debian's python3-aiosmtpd: run it with /usr/bin/python3.

Usage:
  smtp_server.py --port PORT --dir DIR [--tls-cert C --tls-key K]
                 [--require-starttls] [--auth-user U --auth-pass P]
                 [--faults FILE] [--port-file FILE]

  --port 0 picks a free port; the port is printed on stdout once listening.
  --tls-cert/--tls-key  offer STARTTLS with that certificate.
  --auth-user/--auth-pass  offer AUTH PLAIN and LOGIN and require it before
      MAIL; with TLS configured AUTH is only offered after STARTTLS.

Every accepted message is written once per recipient to DIR/mail/ as
  NNNNNN-RCPT.eml   the DATA exactly as received (CRLF, dot-unstuffed)
  NNNNNN-RCPT.json  {"seq", "mail_from", "rcpt", "rcpt_tos", "mail_options",
                     "auth_user", "tls", "peer", "session" (a number per
                     connection), "helo", "time", "size"}
NNNNNN counts messages x recipients from 1; RCPT is the address with
characters outside [A-Za-z0-9@._+-] replaced by "_". Both files appear
atomically (the .json is renamed into place last, so wait for .json files).
DIR/smtp.jsonl gets one JSON line per session event: connect, greeting,
mail, rcpt (with the code given), data, auth, close, and "command" for each
EHLO, STARTTLS and AUTH received ({"verb", "tls"}; AUTH adds "mechanism"
and never the credentials).

Fault injection: FILE (default DIR/faults.json) is JSON, re-read when it
changes (checked before every command and every 50 ms); counters restart on
every change. After applying a change the server writes the file's SHA-1 to
FILE.applied, so a test can wait until the new faults are live. Keys:
  "mode": "normal" | "greeting421" (421 at the greeting, then close) |
          "down" (stop listening: connections are refused; existing
          sessions are dropped) | "hang" (accept, never greet)
  "rules": [{"stage": "rcpt"|"mail"|"data", "match": "fail451+*",
             "code": 451, "text": "4.3.0 try later", "times": 2,
             "delay": 0, "close": false}, ...]
     match is an fnmatch pattern on the address, case-insensitive
     (recipient for rcpt and data, sender for mail; data rules answer at
     the end of DATA when any recipient matches). times: answer this way
     for the first N matching commands per address, then normally (absent
     or null = always). delay: seconds before answering. close: close the
     connection after the answer. store (data rules only): store the
     message first, as if accepted, then delay and answer as the rule says:
     {"stage": "data", "match": "x*", "store": true, "code": 250,
      "delay": 30} is a server that has the message but whose answer the
     client never hears (the data event is logged with "stored": true).
  "fail451_times": N   times for the built-in fail451 rule (default 2)
Built-in rules, active unless "rules" is given:
  recipients fail451+* get "451 4.3.0 try later" the first fail451_times
  times (per address), then are accepted; fail550* get "550 5.1.1 no such
  user"; fail552data* make DATA end with "552 5.3.4 message too big".
"""
import argparse
import asyncio
import fnmatch
import hashlib
import json
import os
import re
import signal
import ssl
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def builtin_rules(times):
    return [
        {"stage": "rcpt", "match": "fail451+*", "code": 451,
         "text": "4.3.0 try later", "times": times},
        {"stage": "rcpt", "match": "fail550*", "code": 550,
         "text": "5.1.1 no such user"},
        {"stage": "data", "match": "fail552data*", "code": 552,
         "text": "5.3.4 message too big"},
    ]


class Faults:
    def __init__(self, path):
        self.path = path
        self.sig = None
        self.mode = "normal"
        self.rules = builtin_rules(2)
        self.counts = {}
        self.on_change = None

    def maybe_reload(self):
        try:
            st = os.stat(self.path)
            sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            sig = None
        if sig == self.sig:
            return
        self.sig = sig
        raw = b""
        cfg = {}
        if sig is not None:
            try:
                with open(self.path, "rb") as f:
                    raw = f.read()
                cfg = json.loads(raw) if raw.strip() else {}
            except (OSError, ValueError) as e:
                print("smtp_server: bad faults file: %s" % e, file=sys.stderr)
                return
        self.mode = cfg.get("mode", "normal")
        self.rules = cfg["rules"] if "rules" in cfg else \
            builtin_rules(cfg.get("fail451_times", 2))
        self.counts = {}
        if self.on_change:
            self.on_change()
        tmp = self.path + ".applied.tmp"
        with open(tmp, "w") as f:
            f.write(hashlib.sha1(raw).hexdigest() + "\n")
        os.replace(tmp, self.path + ".applied")

    def match(self, stage, addresses):
        """First rule for stage matching one of addresses that still fires."""
        for i, r in enumerate(self.rules):
            if r.get("stage", "rcpt") != stage:
                continue
            for a in addresses:
                if not fnmatch.fnmatchcase(a.lower(), r["match"].lower()):
                    continue
                times = r.get("times")
                key = (i, a.lower())
                if times is not None:
                    if self.counts.get(key, 0) >= times:
                        continue
                    self.counts[key] = self.counts.get(key, 0) + 1
                return r
        return None


class Recorder:
    def __init__(self, args, faults):
        self.args = args
        self.faults = faults
        self.maildir = os.path.join(args.dir, "mail")
        os.makedirs(self.maildir, exist_ok=True)
        self.seq = 0
        self.sessions = 0
        self.log = open(os.path.join(args.dir, "smtp.jsonl"), "a",
                        encoding="utf-8")

    def event(self, session, kind, **kw):
        rec = {"time": round(time.time(), 3), "event": kind,
               "peer": list(session.peer) if session and session.peer
               else None}
        rec.update(kw)
        self.log.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self.log.flush()

    async def _answer(self, server, rule):
        if rule.get("delay"):
            await asyncio.sleep(float(rule["delay"]))
        if rule.get("close"):
            server.bb_close_after_push = True
        return "%d %s" % (int(rule["code"]), rule.get("text", "error"))

    async def handle_MAIL(self, server, session, envelope, address,
                          mail_options):
        self.faults.maybe_reload()
        rule = self.faults.match("mail", [address])
        if rule:
            status = await self._answer(server, rule)
            self.event(session, "mail", address=address, status=status)
            return status
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        self.event(session, "mail", address=address, options=mail_options,
                   status="250 OK")
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        self.faults.maybe_reload()
        rule = self.faults.match("rcpt", [address])
        if rule:
            status = await self._answer(server, rule)
            self.event(session, "rcpt", address=address, status=status)
            return status
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        self.event(session, "rcpt", address=address, status="250 OK")
        return "250 OK"

    def session_id(self, session):
        """A number per connection: the peer's port is no key, since the
        kernel reuses loopback ports in TIME_WAIT (tcp_tw_reuse)."""
        if getattr(session, "bb_session", None) is None:
            self.sessions += 1
            session.bb_session = self.sessions
        return session.bb_session

    async def handle_DATA(self, server, session, envelope):
        self.faults.maybe_reload()
        rule = self.faults.match("data", envelope.rcpt_tos)
        if rule and rule.get("store"):
            files, size = self.store(session, envelope)
            # Logged before the stall: the client may be gone by the answer.
            self.event(session, "data", rcpt_tos=envelope.rcpt_tos,
                       status=None, files=files, size=size, stored=True)
            status = await self._answer(server, rule)
            self.event(session, "data_answer", rcpt_tos=envelope.rcpt_tos,
                       status=status)
            return status
        if rule:
            status = await self._answer(server, rule)
            self.event(session, "data", rcpt_tos=envelope.rcpt_tos,
                       status=status)
            return status
        files, size = self.store(session, envelope)
        self.event(session, "data", rcpt_tos=envelope.rcpt_tos,
                   status="250 OK", files=files, size=size)
        return "250 OK queued as %d" % self.seq

    def store(self, session, envelope):
        """Write the message once per recipient; returns (files, size)."""
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        auth = session.auth_data
        user = None
        if isinstance(auth, LoginPassword):
            user = auth.login.decode("utf-8", "replace")
        files = []
        for rcpt in envelope.rcpt_tos:
            self.seq += 1
            safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", rcpt)[:100]
            base = os.path.join(self.maildir, "%06d-%s" % (self.seq, safe))
            meta = {"seq": self.seq, "mail_from": envelope.mail_from,
                    "rcpt": rcpt, "rcpt_tos": envelope.rcpt_tos,
                    "mail_options": envelope.mail_options,
                    "auth_user": user, "tls": session.ssl is not None,
                    "peer": list(session.peer) if session.peer else None,
                    "session": self.session_id(session),
                    "helo": session.host_name, "time": time.time(),
                    "size": len(content)}
            for ext, data in ((".eml", content),
                              (".json", json.dumps(meta, ensure_ascii=False)
                               .encode("utf-8") + b"\n")):
                with open(base + ext + ".tmp", "wb") as f:
                    f.write(data)
                os.replace(base + ext + ".tmp", base + ext)
            files.append(os.path.basename(base))
        return files, len(content)


def make_authenticator(user, password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        server.bb_recorder.event(session, "auth", mechanism=mechanism,
                                 login=auth_data.login.decode("utf-8",
                                                              "replace")
                                 if isinstance(auth_data, LoginPassword)
                                 else None, success=ok)
        return AuthResult(success=ok, handled=False,
                          auth_data=auth_data if ok else None)
    return authenticator


class FaultySMTP(SMTP):
    """aiosmtpd's SMTP plus greeting faults and close-after-answer."""

    bb_close_after_push = False

    async def push(self, status):
        await super().push(status)
        if self.bb_close_after_push and self.transport is not None:
            self.transport.close()

    async def _handle_client(self):
        faults = self.bb_recorder.faults
        faults.maybe_reload()
        self.bb_recorder.event(self.session, "connect", mode=faults.mode)
        if faults.mode == "greeting421":
            await self.push("421 4.3.2 service not available, try later")
            self.transport.close()
            return
        if faults.mode == "hang":
            await asyncio.sleep(3600)
            return
        await super()._handle_client()

    # EHLO, STARTTLS and AUTH are logged as "command" events (AUTH with its
    # mechanism only, never the credentials), so a test can prove that no
    # AUTH arrived over a connection without TLS.
    def bb_command(self, verb, **kw):
        self.bb_recorder.event(self.session, "command", verb=verb,
                               tls=self.session.ssl is not None, **kw)

    async def smtp_EHLO(self, hostname):
        self.bb_command("EHLO")
        return await super().smtp_EHLO(hostname)

    async def smtp_STARTTLS(self, arg):
        self.bb_command("STARTTLS")
        return await super().smtp_STARTTLS(arg)

    async def smtp_AUTH(self, arg):
        self.bb_command("AUTH", mechanism=arg.split()[0] if arg else None)
        return await super().smtp_AUTH(arg)

    def connection_lost(self, error):
        if self.session is not None:
            self.bb_recorder.event(self.session, "close")
        self.bb_sessions.discard(self)
        super().connection_lost(error)


async def serve(args):
    faults = Faults(args.faults)
    rec = Recorder(args, faults)
    sessions = set()
    kw = {"hostname": "budbringer-test-smtp", "enable_SMTPUTF8": True,
          "ident": "recording test server"}
    if args.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        kw["tls_context"] = ctx
        kw["require_starttls"] = args.require_starttls
    if args.auth_user is not None:
        kw["authenticator"] = make_authenticator(args.auth_user,
                                                 args.auth_pass or "")
        kw["auth_required"] = True
        kw["auth_require_tls"] = bool(args.tls_cert)

    def factory():
        s = FaultySMTP(rec, **kw)
        s.bb_recorder = rec
        s.bb_sessions = sessions
        sessions.add(s)
        return s

    loop = asyncio.get_running_loop()
    state = {"server": None}

    async def listen():
        state["server"] = await loop.create_server(
            factory, host=args.host, port=state.get("port", args.port),
            reuse_address=True)
        state["port"] = state["server"].sockets[0].getsockname()[1]

    def apply_mode():
        want_down = faults.mode == "down"
        if want_down and state["server"] is not None:
            state["server"].close()
            state["server"] = None
            for s in list(sessions):
                if s.transport is not None:
                    s.transport.abort()
        elif not want_down and state["server"] is None and "port" in state:
            state["pending_up"] = True

    faults.on_change = apply_mode
    faults.maybe_reload()
    if faults.mode != "down":
        await listen()
    else:
        # Bind once to learn the port, then honour "down".
        await listen()
        apply_mode()
    port = state["port"]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.replace(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)

    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    while not stop.is_set():
        faults.maybe_reload()
        if state.pop("pending_up", False):
            await listen()
        try:
            await asyncio.wait_for(stop.wait(), 0.05)
        except asyncio.TimeoutError:
            pass
    if state["server"] is not None:
        state["server"].close()
    for s in list(sessions):
        if s.transport is not None:
            s.transport.abort()


def main():
    ap = argparse.ArgumentParser(
        description="recording SMTP server (see the header of this file)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--require-starttls", action="store_true")
    ap.add_argument("--auth-user")
    ap.add_argument("--auth-pass")
    ap.add_argument("--faults")
    ap.add_argument("--port-file")
    args = ap.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    os.makedirs(args.dir, exist_ok=True)
    if not args.faults:
        args.faults = os.path.join(args.dir, "faults.json")
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
