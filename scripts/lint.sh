#!/bin/sh
# SPDX-License-Identifier: MIT
# Static analysis: cppcheck and clang-tidy (.clang-tidy) over src/, and the
# whole tree (daemon, CLI and unit tests) built once more with clang under
# our warning flags.
cd "$(dirname "$0")/.." || exit 1
flags="-std=c11 -D_GNU_SOURCE -Iinclude $(pkg-config --cflags jansson libmicrohttpd libconfig libcurl libesmtp-1.0 libpq 2>/dev/null)"
fail=0; pass=0
if cppcheck --quiet --enable=warning,portability --std=c11 --inline-suppr -D_GNU_SOURCE -Iinclude \
	--suppress=unknownMacro --error-exitcode=1 src; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAILED: cppcheck"
fi
out=$(printf '%s\n' src/*.c src/cli/*.c | xargs -P"$(nproc)" -I{} sh -c "clang-tidy --quiet {} -- $flags 2>/dev/null" |
	grep -E '(error|warning):')
if [ -z "$out" ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAILED: clang-tidy"; echo "$out"
fi
if make --no-print-directory BUILD=build/clang CC=clang all unit-build >/dev/null 2>build/clang.log || { cat build/clang.log; false; }; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAILED: clang build with -Werror"
fi
echo "lint: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
