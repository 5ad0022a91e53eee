#!/bin/sh
# Runs each cmocka unit test program given as an argument, lets each print
# its own summary, and exits non-zero if any of them failed.

failed=0
for test in "$@"; do
    echo "== $test"
    if ! "./$test"; then
        echo "FAILED: $test"
        failed=$((failed + 1))
    fi
done
echo "unit test programs: $# run, $failed failed"
[ "$failed" = 0 ]
