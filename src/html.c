/* SPDX-License-Identifier: MIT */
/* HTML escaping and the two chart shapes staff pages use. */
#include "budbringer/html.h"
#include "budbringer/mime.h"

#include <string.h>

/* One escaper for every page: the MIME builder's (it copies runs). */
void html_escape(struct sbuf *out, const char *s)
{
	mime_html_escape(s, out);
}

void html_url_encode(struct sbuf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			sbuf_addch(out, c);
		} else {
			sbuf_addch(out, '%');
			sbuf_addch(out, hex[c >> 4]);
			sbuf_addch(out, hex[c & 15]);
		}
	}
}

/* A round number >= max so the axis reads well: 1, 2, 5 × 10^k. */
static long long nice_max(long long max)
{
	long long step = 1;
	if (max <= 2)
		return 2;   /* the middle line needs a whole number */
	for (;;) {
		if (max <= step)
			return step;
		if (max <= 2 * step)
			return 2 * step;
		if (max <= 5 * step)
			return 5 * step;
		if (step > (1LL << 60) / 10)
			return max;
		step *= 10;
	}
}

void svg_columns(struct sbuf *out, const char *title, const char *const *labels,
		 size_t n_labels, const struct chart_series *series, size_t n_series,
		 int width, int height)
{
	const int left = 44, right = 8, top = 18, legend = 22, bottom = 34 + legend;
	int plot_w = width - left - right, plot_h = height - top - bottom;
	long long max = 0, top_value;
	double group_w, col_w;
	size_t every = n_labels > 24 ? (n_labels + 11) / 12 : 1;

	for (size_t s = 0; s < n_series; s++)
		for (size_t i = 0; i < n_labels; i++)
			if (series[s].values[i] > max)
				max = series[s].values[i];
	top_value = nice_max(max);
	group_w = n_labels ? (double)plot_w / (double)n_labels : plot_w;
	col_w = n_series ? group_w * 0.8 / (double)n_series : group_w;

	sbuf_addf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		  "width=\"100%%\" role=\"img\" aria-label=\"", width, height);
	html_escape(out, title);
	sbuf_addstr(out, "\" font-family=\"sans-serif\" font-size=\"11\"><title>");
	html_escape(out, title);
	sbuf_addstr(out, "</title>");
	/* axis: zero, half and top lines */
	for (int k = 0; k <= 2; k++) {
		double y = top + plot_h - (double)plot_h * k / 2.0;
		sbuf_addf(out, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ccc\"/>"
			  "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%lld</text>",
			  left, width - right, y, y, left - 4, y + 4, top_value * k / 2);
	}
	for (size_t i = 0; i < n_labels; i++) {
		double gx = left + group_w * (double)i + group_w * 0.1;
		for (size_t s = 0; s < n_series; s++) {
			long long v = series[s].values[i];
			double h = (double)plot_h * (double)v / (double)top_value;
			double x = gx + col_w * (double)s, y = top + plot_h - h;
			sbuf_addf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"",
				  x, y, col_w > 2 ? col_w - 1 : col_w, h);
			html_escape(out, series[s].color);
			sbuf_addstr(out, "\"><title>");
			html_escape(out, labels[i]);
			sbuf_addstr(out, " · ");
			html_escape(out, series[s].name);
			sbuf_addf(out, ": %lld</title></rect>", v);
			if (v && n_labels * n_series <= 40)
				sbuf_addf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
					  "font-size=\"9\">%lld</text>", x + col_w / 2, y - 2, v);
		}
		if (i % every)
			continue;
		sbuf_addf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
			  left + group_w * ((double)i + 0.5), top + plot_h + 14);
		html_escape(out, labels[i]);
		sbuf_addstr(out, "</text>");
	}
	for (size_t s = 0; s < n_series; s++) {
		int x = left + (int)s * 120, y = height - legend + 6;
		sbuf_addf(out, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"", x, y);
		html_escape(out, series[s].color);
		sbuf_addf(out, "\"/><text x=\"%d\" y=\"%d\">", x + 14, y + 9);
		html_escape(out, series[s].name);
		sbuf_addstr(out, "</text>");
	}
	sbuf_addstr(out, "</svg>");
}

void svg_stacked_bar(struct sbuf *out, const struct chart_part *parts, size_t n, int width,
		     int height)
{
	long long total = 0;
	double x = 0;

	for (size_t i = 0; i < n; i++)
		total += parts[i].value > 0 ? parts[i].value : 0;
	sbuf_addf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		  "width=\"100%%\" height=\"%d\" preserveAspectRatio=\"none\" role=\"img\" "
		  "aria-label=\"", width, height, height);
	for (size_t i = 0; i < n; i++) {
		sbuf_addstr(out, i ? ", " : "");
		html_escape(out, parts[i].name);
		sbuf_addf(out, " %lld", parts[i].value);
	}
	sbuf_addf(out, "\"><rect width=\"%d\" height=\"%d\" fill=\"#eee\"/>", width, height);
	for (size_t i = 0; total && i < n; i++) {
		double w;
		if (parts[i].value <= 0)
			continue;
		w = (double)width * (double)parts[i].value / (double)total;
		sbuf_addf(out, "<rect x=\"%.2f\" width=\"%.2f\" height=\"%d\" fill=\"", x, w, height);
		html_escape(out, parts[i].color);
		sbuf_addstr(out, "\"><title>");
		html_escape(out, parts[i].name);
		sbuf_addf(out, ": %lld</title></rect>", parts[i].value);
		x += w;
	}
	sbuf_addstr(out, "</svg>");
}
