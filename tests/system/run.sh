#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# run.sh [NAME...]: runs the system tests, tests/system/test-*.sh, or the
# named ones ("test-testbed", "testbed" and "test-testbed.sh" all name one).
# Each runs in its own bash with ROAM_SRCDIR and ROAM_BUILDDIR exported, its
# output in $ROAM_BUILDDIR/tests/system/logs/NAME.log, at most
# $ROAM_TEST_TIMEOUT seconds (default 600).  Exit status 77 means skipped;
# with ROAM_TEST_NO_SKIP set (as .ci/run does) a skip counts as a failure.
# Prints PASS/FAIL/SKIP per test, the end of a failed test's log, and a last
# line "N passed, N failed[, N skipped]".  Exits 0 only if none failed.
# Needs root: tests create network namespaces.

set -u

top=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
ROAM_SRCDIR=${ROAM_SRCDIR:-$top}
ROAM_BUILDDIR=${ROAM_BUILDDIR:-$ROAM_SRCDIR}
export ROAM_SRCDIR ROAM_BUILDDIR
timeout_s=${ROAM_TEST_TIMEOUT:-600}

if [ "$(id -u)" != 0 ]; then
    echo "run.sh: the system tests must run as root (they create network namespaces and run Open vSwitch daemons)" >&2
    exit 1
fi

testdir=$ROAM_SRCDIR/tests/system
logdir=$ROAM_BUILDDIR/tests/system/logs
mkdir -p "$logdir" || exit 1

tests=()
if [ $# -eq 0 ]; then
    for t in "$testdir"/test-*.sh; do
        [ -f "$t" ] && tests+=("$t")
    done
else
    for n in "$@"; do
        n=$(basename "$n" .sh)
        case $n in test-*) ;; *) n=test-$n ;; esac
        tests+=("$testdir/$n.sh")
    done
fi
if [ ${#tests[@]} -eq 0 ]; then
    echo "run.sh: no tests in $testdir" >&2
    exit 1
fi

passed=0
failed=0
skipped=0
for t in "${tests[@]}"; do
    name=$(basename "$t" .sh)
    log=$logdir/$name.log
    if [ ! -f "$t" ]; then
        echo "FAIL: $name (no such test: $t)"
        failed=$((failed + 1))
        continue
    fi
    start=$SECONDS
    timeout -k 30 "$timeout_s" bash "$t" </dev/null >"$log" 2>&1
    rc=$?
    secs=$((SECONDS - start))
    case $rc in
        0)
            echo "PASS: $name ($secs s)"
            passed=$((passed + 1))
            ;;
        77)
            why=$(grep -m1 '^SKIP:' "$log" | sed 's/^SKIP: //')
            if [ -n "${ROAM_TEST_NO_SKIP:-}" ]; then
                # CI: a test that cannot run has not passed.
                echo "FAIL: $name (skipped, but ROAM_TEST_NO_SKIP is set: $why)"
                failed=$((failed + 1))
            else
                echo "SKIP: $name ($why)"
                skipped=$((skipped + 1))
            fi
            ;;
        *)
            [ $rc = 124 ] && echo "run.sh: $name timed out after $timeout_s s" >>"$log"
            echo "FAIL: $name ($secs s)"
            echo "---- last 40 lines of $log (exit $rc) ----"
            tail -n 40 "$log"
            echo "----"
            failed=$((failed + 1))
            ;;
    esac
done

summary="$passed passed, $failed failed"
[ $skipped -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
# For .ci/run, which repeats it as its own closing line.
echo "$summary" >"$ROAM_BUILDDIR/tests/system/summary"
[ $failed -eq 0 ]
