/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_HTML_H
#define BUDBRINGER_HTML_H

/*
 * HTML text and inline SVG charts for the dashboard and the evaluation
 * report. Pure: writes into a struct sbuf, no I/O. Every text that comes
 * from data goes through html_escape(); the charts need no script, no
 * font and no external file, so a saved page works anywhere, offline.
 */

#include <stddef.h>

#include "budbringer/sbuf.h"

/* Appends s with & < > " ' escaped (NULL appends nothing). */
void html_escape(struct sbuf *out, const char *s);

/* Appends s percent-encoded for a URL query value (RFC 3986 unreserved
 * characters stay; everything else, space included, becomes %XX). */
void html_url_encode(struct sbuf *out, const char *s);

/* One series of a column chart: a name for the legend, a CSS colour and
 * one value per label. */
struct chart_series {
	const char *name;
	const char *color;
	const long long *values;
};

/*
 * Grouped column chart: for each label one column per series, value
 * printed above each column, legend below. width/height in px (the SVG
 * scales with its container through viewBox). Past 24 labels only every
 * n-th is written under the axis (each column's tooltip keeps its own).
 */
void svg_columns(struct sbuf *out, const char *title, const char *const *labels,
		 size_t n_labels, const struct chart_series *series, size_t n_series,
		 int width, int height);

/* One part of a stacked bar (the delivery funnel of a campaign). */
struct chart_part {
	const char *name;
	const char *color;
	long long value;
};

/* A single horizontal bar split into parts in proportion to their values;
 * each part has a <title> tooltip "name: value". */
void svg_stacked_bar(struct sbuf *out, const struct chart_part *parts, size_t n, int width,
		     int height);

#endif
