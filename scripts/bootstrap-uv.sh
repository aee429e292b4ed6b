#!/usr/bin/env bash
# Put uv $UV_VERSION into .uv/ (a venv of its own), from PyPI or, offline, from the copy of
# its wheel that an earlier online run left in the user's cache.
set -euo pipefail

PYTHON="${PYTHON:-python3}"
UV_VERSION="${UV_VERSION:?UV_VERSION must be set (the Makefile sets it)}"
WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/tanfang/wheels"

fail() {
    echo "make install: $*" >&2
    exit 1
}

command -v "$PYTHON" >/dev/null 2>&1 \
    || fail "no '$PYTHON' on PATH. Install Python 3.11 or newer (Debian/Ubuntu: apt-get install python3 python3-venv), or run make with PYTHON=/path/to/python3.11"

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || fail "Tanfang needs Python 3.11 or newer; '$PYTHON' is $("$PYTHON" -c 'import platform; print(platform.python_version())'). Run make with PYTHON=/path/to/python3.11 (or newer)"

# Debian and Ubuntu ship venv and ensurepip separately from python3.
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null \
    || fail "the venv module of '$PYTHON' is missing. Debian/Ubuntu: apt-get install python3-venv (or python3.X-venv for your version)"

rm -rf .uv
"$PYTHON" -m venv .uv || fail "'$PYTHON -m venv .uv' failed (Debian/Ubuntu: apt-get install python3-venv)"

mkdir -p "$WHEELS"
# Keep the wheel: the next fresh checkout can then bootstrap without a network.
if ! .uv/bin/pip download --quiet --retries 2 --timeout 20 --no-deps --only-binary=:all: -d "$WHEELS" "uv==$UV_VERSION"; then
    echo "make install: could not reach PyPI for uv==$UV_VERSION; trying $WHEELS" >&2
fi
.uv/bin/pip install --quiet --no-index --find-links "$WHEELS" "uv==$UV_VERSION" \
    || fail "uv==$UV_VERSION is neither reachable on PyPI nor cached in $WHEELS"
.uv/bin/uv --version
