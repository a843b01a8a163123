#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Generate N test subscribers straight into a Budbringer database (benchmarks).

usage: gen-subscribers.py DB N [--seed S]

Mixed languages, ages and interests, deterministic for a given seed:
languages da 55%, en 10%, ar 10%, tr 8%, so 6%, ur 5%, pl 6%; birth years
spread over ages 13..70 (8% unknown); 0-3 interests of ten (15% none =
"everything"); every subscriber active with SMS consent, a third with email.
The database must exist (budbringer init).
"""
import random
import sqlite3
import sys
import time

LANGS = ["da"] * 55 + ["en"] * 10 + ["ar"] * 10 + ["tr"] * 8 + ["so"] * 6 + ["ur"] * 5 + ["pl"] * 6
INTERESTS = ["sport", "culture", "social", "scouting", "nature", "children", "elderly",
             "integration", "events", "faith"]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    path, n = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--seed" else 1
    rnd = random.Random(seed)
    year = time.gmtime().tm_year
    now = int(time.time())
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    start = db.execute("SELECT coalesce(max(id), 0) FROM subscribers").fetchone()[0]
    subs, ints = [], []
    for i in range(n):
        sid = start + i + 1
        email = "bench%d@example.dk" % sid if i % 3 == 0 else None
        born = None if rnd.random() < 0.08 else year - rnd.randint(13, 70)
        subs.append((sid, "+455%07d" % (sid % 10000000) if sid < 10000000 else "+4569%08d" % sid,
                     email, rnd.choice(LANGS), born, now, now, 1 if email else 0,
                     now if email else None, now, now))
        r = rnd.random()
        k = 0 if r < 0.15 else 1 if r < 0.5 else 2 if r < 0.85 else 3
        for code in rnd.sample(INTERESTS, k):
            ints.append((sid, code))
        if len(subs) >= 50000:
            flush(db, subs, ints)
    flush(db, subs, ints)
    db.commit()
    print("generated %d subscribers (%d interest rows)" % (n, db.execute(
        "SELECT count(*) FROM subscriber_interests").fetchone()[0]))


def flush(db, subs, ints):
    db.executemany(
        "INSERT INTO subscribers(id, phone, email, lang, birth_year, status, sms_consent,"
        " sms_consent_at, sms_consent_source, email_consent, email_consent_at,"
        " email_consent_source, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 'active', 1, ?, 'generator', ?, ?, 'generator', ?, ?)",
        [(s[0], s[1], s[2], s[3], s[4], s[5], s[7], s[8], s[9], s[10]) for s in subs])
    db.executemany("INSERT INTO subscriber_interests(subscriber_id, interest) VALUES (?, ?)", ints)
    subs.clear()
    ints.clear()


if __name__ == "__main__":
    main()
