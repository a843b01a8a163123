/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for template_validate() and template_render(). The
 * input is the template; properties checked: validate and render agree,
 * a failure appends nothing to the output and explains itself, and a
 * rendered message is valid UTF-8 with no doubled or edge spaces.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "budbringer/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct template_values values = {
	.title = "Træner søges",
	.summary = NULL,
	.url = "https://example.dk/o/1",
	.association = "",
	.starts_at = "1. maj",
	.location = "{title} }} {",
	.stop = "STOP til 1234",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf out = SBUF_INIT, err = SBUF_INIT, verr = SBUF_INIT;
	char *tmpl = malloc(size + 1);
	int vrc, rrc;

	if (!tmpl)
		return 0;
	memcpy(tmpl, data, size);
	tmpl[size] = '\0';

	vrc = template_validate(tmpl, &verr);
	rrc = template_render(tmpl, &values, &out, &err);
	if (vrc != rrc || strcmp(verr.buf, err.buf))
		abort();
	if (rrc < 0) {
		if (out.len != 0 || err.len == 0)
			abort();
	} else {
		if (err.len != 0 || u8_check((const uint8_t *)out.buf, out.len))
			abort();
		if (strlen(out.buf) != out.len || strstr(out.buf, "  ") ||
		    strstr(out.buf, " \n") || strstr(out.buf, "\n "))
			abort();
		if (out.len && (out.buf[0] == ' ' || out.buf[out.len - 1] == ' ' ||
				out.buf[0] == '\n' || out.buf[out.len - 1] == '\n'))
			abort();
	}
	sbuf_release(&out);
	sbuf_release(&err);
	sbuf_release(&verr);
	free(tmpl);
	return 0;
}
