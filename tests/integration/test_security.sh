#!/bin/bash
# SPDX-License-Identifier: MIT
# The daemon's public face tried as an attacker would (issue 13): each part
# in tests/integration/security/ is one promise of README's "Reliability and
# security", run against its own real budbringerd. This script runs them all
# and sums their "N passed, N failed" lines into its own.
cd "$(dirname "$0")" || exit 1
pass=0 failed=0 rc=0
for part in security/*.sh; do
	[ -e "$part" ] || { echo "not ok - no parts in security/"; exit 1; }
	echo "# --- $part"
	out=$(bash "$part" 2>&1)
	prc=$?
	printf '%s\n' "$out"
	summary=$(printf '%s\n' "$out" | grep -aE '^[0-9]+ passed, [0-9]+ failed' | tail -1)
	p=$(echo "$summary" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
	f=$(echo "$summary" | sed -n 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/p')
	if [ -z "$summary" ] || [ "$prc" -ne 0 ]; then
		echo "not ok - $part ended with status $prc${summary:+ ($summary)}"
		f=$(( ${f:-0} + 1 )); rc=1
	fi
	pass=$((pass + ${p:-0})); failed=$((failed + ${f:-0}))
done
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ] && exit "$rc"
exit 1
