#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs every tests/integration/test_*.sh (or those named) and sums their
# "N passed, N failed" lines into one closing line. BB_ENGINE=postgresql
# runs them on PostgreSQL (each script its own private cluster, see
# tests/lib/budbringerd.sh); the default is sqlite.
cd "$(dirname "$0")/../.." || exit 1
export BB_ENGINE=${BB_ENGINE:-sqlite}
case $BB_ENGINE in
sqlite | postgresql) ;;
*) echo "run.sh: BB_ENGINE=$BB_ENGINE: the engines are sqlite and postgresql" >&2; exit 2 ;;
esac
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(tests/integration/test_*.sh)
# Each engine's logs apart, so that both passes may run at once.
out=tests/output
[ "$BB_ENGINE" = sqlite ] || out=tests/output/$BB_ENGINE
mkdir -p "$out"
total_pass=0; total_fail=0; failed_scripts=""
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	echo "=== $name"
	start=$(date +%s)
	bash "$t" > "$out/$name.log" 2>&1
	rc=$?
	summary=$(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$out/$name.log" | tail -1)
	p=$(echo "$summary" | sed -n 's/^\([0-9]*\) passed.*/\1/p'); p=${p:-0}
	f=$(echo "$summary" | sed -n 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/p'); f=${f:-0}
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
	grep -aE '^not ok' "$out/$name.log" | sed 's/^/  /'
	echo "  $name: $p passed, $f failed ($(($(date +%s) - start))s)"
	if [ $rc -ne 0 ]; then
		failed_scripts="$failed_scripts $name"
		echo "  --- last lines of $out/$name.log:"
		tail -25 "$out/$name.log" | sed 's/^/  | /'
	fi
done
[ -z "$failed_scripts" ] || echo "failed:$failed_scripts"
echo "integration: $total_pass passed, $total_fail failed (engine $BB_ENGINE)"
[ "$total_fail" -eq 0 ]
