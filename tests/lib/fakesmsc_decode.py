#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Decode the MT messages a Kannel fakesmsc client printed to its log.

Usage: fakesmsc_decode.py [--json | --count] [--access-log FILE] LOGFILE

fakesmsc (run with -v 0) logs every line bearerbox's fake SMSC sends it:

  ... DEBUG: Got message 1: <FROM TO text Hello world>
  ... DEBUG: Got message 2: <FROM TO ucs-2 %06E%061%06-%00+%06(>
  ... DEBUG: Got message 3: <FROM TO data %C3%A6>
  ... DEBUG: Got message 4: <FROM TO udh %05%00%03%07%02%01 data %06E...>

What this script knows about that format (checked with Kannel 1.4.5):
  - "text": 7-bit messages, printed raw; Kannel keeps them as UTF-8, so a
    Danish "æøå" shows up as its UTF-8 bytes. A newline inside the text ends
    the line on the wire, so fakesmsc prints the rest as extra "messages"
    ("Got message N: <line2>"); a carriage return is lost. Such lines are
    glued back with "\\n" when they do not look like a message header. A
    continuation line that itself looks like "A B text C" cannot be told
    apart and is read as a new message.
  - "ucs-2": URL-encoded UTF-16BE where "+" is the byte 0x20.
  - "data": 8-bit data, URL-encoded; decoded as UTF-8 when valid, else Latin-1.
  - "udh": every part of a long message is printed separately with its UDH,
    and always as " data " whatever the coding: the coding is lost. Parts are
    joined by (from, to, reference) from the concatenation IE (8-bit IEI 0x00
    or 16-bit IEI 0x08). The coding then comes from bearerbox's access log
    when given (--access-log: "Sent SMS ... [to:TO] [flags:MCLASS:CODING:..."
    lines, paired with messages to the same TO in order); without it, or
    when the line is not written yet, it is guessed: UTF-8 text when the
    bytes are valid UTF-8 without control characters, else UTF-16BE (Latin,
    Arabic, Turkish ... in UTF-16BE always contain bytes below 0x20). Only
    the access log catches UTF-8 bytes sent with coding=2 by mistake.

Default output, one message per line, in order of the first part seen:
  TO<TAB>TEXT    with "\\" "\\n" "\\r" "\\t" escaped as \\\\ \\n \\r \\t
--json: one JSON object per message: n, from, to, type (text/data/ucs-2/udh),
  coding (text/data/ucs-2), coding_from ("line", "access-log" or "guess"),
  parts, parts_seen, complete, text.
--count: the number of complete messages.
"""
import json
import re
import sys
import urllib.parse

LINE_RE = re.compile(r"DEBUG: Got message \d+: <(.*)>$")
HEAD_RE = re.compile(r"^(\S+) (\S+) (text|data|ucs-2)(?: (.*))?$", re.S)
UDH_RE = re.compile(r"^(\S+) (\S+) udh (\S+) data (\S*)$")


def url_bytes(s):
    """octstr_url_encode output -> bytes; '+' stands for 0x20."""
    return urllib.parse.unquote_to_bytes(s.replace("+", "%20"))


def text_of(raw, coding):
    if coding == "ucs-2":
        return raw.decode("utf-16-be", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def guess_coding(raw):
    try:
        s = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "ucs-2"
    if any(ord(c) < 0x20 and c not in "\t\n\r" for c in s):
        return "ucs-2"
    return "text"


def concat_info(udh):
    """(ref, total, seq) from a UDH, or None when it has no concat IE."""
    if not udh:
        return None
    end = min(len(udh), udh[0] + 1)
    i = 1
    while i + 1 < end:
        iei, ln = udh[i], udh[i + 1]
        body = udh[i + 2:i + 2 + ln]
        if iei == 0x00 and ln == 3 and len(body) == 3:
            return body[0], body[1], body[2]
        if iei == 0x08 and ln == 4 and len(body) == 4:
            return (body[0] << 8) | body[1], body[2], body[3]
        i += 2 + ln
    return None


ACCESS_RE = re.compile(r"Sent SMS \[SMSC:[^]]*\] .*?\[to:([^]]*)\] "
                       r"\[flags:-?\d+:(-?\d+):")
CODINGS = {"0": "text", "1": "data", "2": "ucs-2"}


def access_codings(path):
    """{to: [coding, ...]} in sending order from bearerbox's access log."""
    out = {}
    if not path:
        return out
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                m = ACCESS_RE.search(line)
                if m:
                    out.setdefault(m.group(1), []).append(
                        CODINGS.get(m.group(2), "text"))
    except FileNotFoundError:
        pass
    return out


def parse(lines, codings=None):
    msgs = []       # in order of first appearance
    groups = {}     # (from, to, ref, total) -> message dict
    last = None     # last single "text" message, for newline continuations
    for line in lines:
        line = line.rstrip("\n")
        m = LINE_RE.search(line)
        if not m:
            continue
        body = m.group(1)
        u = UDH_RE.match(body)
        if u:
            last = None
            frm, to, udh_s, data_s = u.groups()
            udh = url_bytes(udh_s)
            info = concat_info(udh)
            part = url_bytes(data_s)
            if info is None:
                msgs.append({"from": frm, "to": to, "type": "udh", "parts": 1,
                             "chunks": {1: part}})
                continue
            ref, total, seq = info
            key = (frm, to, ref, total)
            g = groups.get(key)
            if g is None or seq in g["chunks"]:
                # A reference is reused after 256 messages: start a new one.
                g = {"from": frm, "to": to, "type": "udh", "parts": total,
                     "chunks": {}}
                groups[key] = g
                msgs.append(g)
            g["chunks"][seq] = part
            continue
        h = HEAD_RE.match(body)
        if h:
            frm, to, typ, data = h.groups()
            data = data or ""
            raw = data.encode("utf-8", "surrogateescape") if typ == "text" \
                else url_bytes(data)
            msg = {"from": frm, "to": to, "type": typ, "parts": 1,
                   "chunks": {1: raw}}
            msgs.append(msg)
            last = msg if typ == "text" else None
            continue
        if last is not None:
            last["chunks"][1] += b"\n" + body.encode("utf-8", "surrogateescape")
            continue
        print("fakesmsc_decode: unparsed line: %s" % line, file=sys.stderr)
    out = []
    codings = codings or {}
    for n, g in enumerate(msgs, 1):
        raw = b"".join(g["chunks"][k] for k in sorted(g["chunks"]))
        known = codings.get(g["to"])
        logged = known.pop(0) if known else None
        if g["type"] != "udh":
            coding, source = g["type"], "line"
        elif logged:
            coding, source = logged, "access-log"
        else:
            coding, source = guess_coding(raw), "guess"
        out.append({"n": n, "from": g["from"], "to": g["to"],
                    "type": g["type"], "coding": coding,
                    "coding_from": source,
                    "parts": g["parts"], "parts_seen": len(g["chunks"]),
                    "complete": len(g["chunks"]) == g["parts"],
                    "text": text_of(raw, coding)})
    return out


def escape(s):
    return (s.replace("\\", "\\\\").replace("\n", "\\n")
            .replace("\r", "\\r").replace("\t", "\\t"))


def main(argv):
    mode = "tsv"
    access = None
    args = argv[1:]
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt in ("--json", "--count"):
            mode = opt[2:]
        elif opt == "--access-log" and args:
            access = args.pop(0)
        else:
            args = []
            break
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8", errors="surrogateescape") as f:
            msgs = parse(f, access_codings(access))
    except FileNotFoundError:
        msgs = []
    out = sys.stdout
    if mode == "count":
        print(sum(1 for m in msgs if m["complete"]))
    elif mode == "json":
        for m in msgs:
            out.write(json.dumps(m, ensure_ascii=False) + "\n")
    else:
        for m in msgs:
            out.write("%s\t%s\n" % (m["to"], escape(m["text"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
