/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_BOUNCE_IMAP_H
#define BUDBRINGER_BOUNCE_IMAP_H

/*
 * Reads bounces from an IMAP mailbox (the config's bounces.imap: a bounce
 * address that lives in Exchange / Microsoft 365 rather than on a Postfix
 * the municipality runs). Each read runs the same parser and rules as
 * `budbringer bounce` (bounce.h, bounce_apply.h).
 *
 * DESIGN: a thread of its own, so a slow or unreachable server never holds
 * the outbox; it owns its database connection and a copy of its settings.
 * Every `interval` seconds one pass:
 *
 *   connect (libcurl: TLS, certificate check, LOGIN/AUTHENTICATE; then the
 *   commands on that connection) -> SELECT folder -> UID SEARCH UNSEEN ->
 *   per UID: UID FETCH BODY.PEEK[] (the \Seen flag untouched) ->
 *     not a bounce, not a mail, too large -> left as it is, unseen; its UID
 *                       remembered (per UIDVALIDITY) so the next pass does
 *                       not fetch it again
 *     handled (bounced, counted, suppressed, complaint, unmatched, settled,
 *              duplicate)  -> \Seen, then UID MOVE to processed_folder
 *                       (or COPY + \Deleted + UID EXPUNGE of that UID
 *                       alone; without UIDPLUS it stays, seen)
 *     database cannot take it -> left unseen; the pass ends, the next tries
 *   -> LOGOUT
 *
 * Nothing is ever deleted that was not handled and copied first. A crash
 * between the database and the \Seen flag brings the mail again: it is
 * then a duplicate (bounce_apply's dedupe key) and counts once.
 */

#include <stddef.h>
#include <stdint.h>

#include "budbringer/config.h"
#include "budbringer/sbuf.h"

struct bounce_imap;

/*
 * Starts the reader for cfg->bounces.imap (settings copied). Returns NULL
 * when no url is set (err untouched) or on failure (err says why).
 * Main thread only.
 */
struct bounce_imap *bounce_imap_start(const struct config *cfg, struct sbuf *err);

/* Stops the thread (an exchange under way is cut short within about a
 * second) and frees everything. NULL is fine. */
void bounce_imap_stop(struct bounce_imap *bi);

/*
 * Pure pieces of the protocol, for tests. bounce_imap_search_uids reads
 * the UIDs of "* SEARCH 1 2 3" lines in text (untagged lines separated by
 * \n) into out (at most max); returns how many, or -1 when a number is not
 * a UID (1..4294967295). bounce_imap_literal reads the size of a literal
 * announced at the end of a line ("... {123}" or "{123+}") into *n: 1 with
 * a literal, 0 none, -1 a size over max.
 */
int bounce_imap_search_uids(const char *text, uint32_t *out, size_t max);
int bounce_imap_literal(const char *line, size_t len, size_t max, size_t *n);

#endif
