#!/bin/bash
# SPDX-License-Identifier: MIT
# `make bench`: runs every bench/bench_*.sh (or those named), collects their
# RESULT lines into one table on stdout and in bench/results.md. Among
# them bench_log.sh (`budbringer log` at 5M messages) and
# bench_dashboard_log.sh (/dashboard/log's first and next pages at 5M).
# A RESULT line (tab-separated):
#   RESULT figure value unit baseline-name baseline-value ratio goal peak-rss-MB
cd "$(dirname "$0")/.." || exit 1
mkdir -p tests/output
scripts=("$@")
[ ${#scripts[@]} -gt 0 ] || scripts=(bench/bench_*.sh)
results=tests/output/bench-results.tsv
: > "$results"
for s in "${scripts[@]}"; do
	name=$(basename "$s" .sh)
	echo "=== $name"
	bash "$s" 2>&1 | tee "tests/output/$name.log" | grep -v '^RESULT' | sed 's/^/  /'
	grep '^RESULT' "tests/output/$name.log" >> "$results"
done
{
	echo "# Benchmark results"
	echo
	echo "Measured by \`make bench\` on $(date -u +%Y-%m-%d) ($(nproc) cores, $(uname -m));"
	echo "each baseline measured in the same run."
	echo
	echo "| figure | value | baseline | baseline value | ratio | goal | peak RSS (MB) |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	while IFS=$'\t' read -r _ fig val unit bname bval ratio goal rss; do
		echo "| $fig | $val $unit | $bname | $bval | $ratio | $goal | $rss |"
	done < "$results"
} > bench/results.md
echo
cat bench/results.md
