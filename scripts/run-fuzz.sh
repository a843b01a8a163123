#!/bin/sh
# SPDX-License-Identifier: MIT
# run-fuzz.sh check BIN…    replay tests/fuzz/corpus/<name>/ through each harness
# run-fuzz.sh explore BIN…  fuzz each for $FUZZ_TIME seconds; new inputs go to
#                           build/fuzz/new/<name>/ (review, then copy the useful ones)
mode=$1; shift
LSAN_OPTIONS="suppressions=$(pwd)/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
pass=0; fail=0
for bin in "$@"; do
	name=$(basename "$bin" | sed 's/^fuzz_//')
	corpus=tests/fuzz/corpus/$name
	# A harness without its corpus would replay nothing and pass.
	if [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
		fail=$((fail + 1)); echo "FAILED: $bin: corpus $corpus is missing or empty"
		continue
	fi
	if [ "$mode" = check ]; then
		if "$bin" -runs=0 "$corpus" > "build/fuzz/$name.log" 2>&1; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1)); echo "FAILED: $bin on $corpus"; tail -30 "build/fuzz/$name.log"
		fi
	else
		new=build/fuzz/new/$name
		mkdir -p "$new"
		if "$bin" -max_total_time="${FUZZ_TIME:-60}" -print_final_stats=1 "$new" "$corpus"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1)); echo "FAILED: $bin (crash input in the current directory)"
		fi
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
