/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_TEMPLATE_H
#define BUDBRINGER_TEMPLATE_H

/*
 * Message templates: "{title} – {summary} {url} {stop}". Pure, no I/O.
 *
 * Placeholders are {title} {summary} {url} {association} {starts_at}
 * {location} {stop}. "{{" and "}}" are a literal brace. A NULL value
 * renders as the empty string; after rendering, runs of spaces left by
 * empty values are collapsed and the result is trimmed, so a missing
 * location does not leave "  " in an SMS. Line breaks stay, spaces at the
 * start and end of each line go; only ASCII spaces are touched, so UTF-8
 * text passes unchanged. Values are inserted verbatim (not expanded).
 */

#include "budbringer/sbuf.h"

struct template_values {
	const char *title;
	const char *summary;
	const char *url;
	const char *association;
	const char *starts_at;
	const char *location;
	const char *stop;
};

/*
 * Checks a template: returns 0, or -1 with a message in err naming the
 * problem and its byte offset ("unknown placeholder '{titel}' at 4",
 * "unclosed '{' at 12", "unmatched '}' at 3", "invalid UTF-8 at 7").
 * The message is appended to err; err may be NULL.
 */
int template_validate(const char *tmpl, struct sbuf *err);

/*
 * Renders tmpl into out (appended). Returns 0, or -1 as template_validate
 * with out left untouched. v may be NULL (all values empty).
 */
int template_render(const char *tmpl, const struct template_values *v,
		    struct sbuf *out, struct sbuf *err);

#endif
