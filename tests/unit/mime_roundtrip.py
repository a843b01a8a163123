# SPDX-License-Identifier: MIT
"""Parse a message built by mime_build() with Python's own MIME parser.

Usage: /usr/bin/python3 tests/unit/mime_roundtrip.py FILE

Checks the wire form (CRLF only, lines <= 998 octets, encoded-words <= 75
characters) and the structure (multipart/alternative with text/plain then
text/html, UTF-8, no parser defects), then prints one JSON object with the
decoded headers and both bodies. Body line ends are given back as "\\n" so
the caller can compare with its input. Exits 1 with a reason on stderr when
a check fails.
"""

import json
import re
import sys
from email import policy
from email.parser import BytesParser

ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=")


def die(why):
    sys.stderr.write("mime_roundtrip: %s\n" % why)
    sys.exit(1)


def check_wire(raw):
    if not raw.endswith(b"\r\n"):
        die("message does not end in CRLF")
    body = raw[:-2]
    for n, line in enumerate(body.split(b"\r\n"), 1):
        if b"\n" in line or b"\r" in line:
            die("bare CR or LF in line %d" % n)
        if len(line) > 998:
            die("line %d is %d octets long" % (n, len(line)))
    for word in ENCODED_WORD.findall(raw):
        if len(word) > 75:
            die("encoded-word of %d characters" % len(word))


def body_of(part, ctype):
    if part.get_content_type() != ctype:
        die("expected %s, got %s" % (ctype, part.get_content_type()))
    if (part.get_content_charset() or "").lower() != "utf-8":
        die("%s charset is %r" % (ctype, part.get_content_charset()))
    if part.defects:
        die("%s defects: %r" % (ctype, part.defects))
    raw = part.get_payload(decode=True)
    return raw.decode("utf-8").replace("\r\n", "\n"), part["Content-Transfer-Encoding"]


def main():
    if len(sys.argv) != 2:
        die("usage: mime_roundtrip.py FILE")
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    check_wire(raw)
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    if msg.defects:
        die("message defects: %r" % msg.defects)
    if msg.get_content_type() != "multipart/alternative":
        die("top level is %s" % msg.get_content_type())
    parts = list(msg.iter_parts())
    if len(parts) != 2:
        die("%d parts instead of 2" % len(parts))
    text, text_cte = body_of(parts[0], "text/plain")
    html, html_cte = body_of(parts[1], "text/html")
    for name in ("Subject", "From", "To"):
        if msg[name] is not None and msg[name].defects:
            die("%s defects: %r" % (name, msg[name].defects))
    sender = msg["From"].addresses[0]
    out = {
        "subject": str(msg["Subject"]),
        "from_name": sender.display_name,
        "from_addr": sender.addr_spec,
        "to": msg["To"].addresses[0].addr_spec,
        "message_id": str(msg["Message-ID"]),
        "date": msg["Date"].datetime.isoformat() if msg["Date"] else None,
        "mime_version": str(msg["MIME-Version"]),
        "content_language": str(msg["Content-Language"] or ""),
        "list_unsubscribe": str(msg["List-Unsubscribe"] or ""),
        "list_unsubscribe_post": str(msg["List-Unsubscribe-Post"] or ""),
        "boundary": msg.get_boundary(),
        "text": text,
        "text_cte": text_cte,
        "html": html,
        "html_cte": html_cte,
    }
    json.dump(out, sys.stdout, ensure_ascii=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
