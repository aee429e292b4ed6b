#!/usr/bin/env bash
# The suite as `make test` runs it, in two phases:
#   1. every test not marked `timed`, on $TEST_WORKERS pytest-xdist workers (a file per
#      worker at a time; 0 = one process);
#   2. the `timed` tests (they hold a latency against the wall clock: an SOS stored within
#      5 s of its publish while gateways are killed, ingest lag under abusive requests) one
#      at a time, alone on the machine, so that what they measure is the code, not the
#      other worker's load.
# The arguments ("$@", make's $PYTEST_ARGS) go to both; with a -m of their own, one phase
# runs what it selects on the workers. A phase that selects no test is fine when the other
# ran some; no test at all is a failure (pytest's exit code 5).
set -uo pipefail
cd "$(dirname "$0")/.."

workers="${TEST_WORKERS:-2}"
for arg in "$@"; do
    if [[ $arg == -m || $arg == -m* ]]; then
        .venv/bin/pytest -n "$workers" --dist loadfile "$@"
        rc=$?
        [[ $rc -eq 5 ]] && echo "pytest collected no tests: that counts as a failure"
        exit "$rc"
    fi
done

.venv/bin/pytest -n "$workers" --dist loadfile -m "not timed" "$@"
parallel=$?
.venv/bin/pytest -p no:xdist -m timed "$@"
alone=$?

if [[ $parallel -eq 5 && $alone -eq 5 ]]; then
    echo "pytest collected no tests: that counts as a failure"
    exit 5
fi
for rc in "$parallel" "$alone"; do
    if [[ $rc -ne 0 && $rc -ne 5 ]]; then
        exit "$rc"
    fi
done
exit 0
