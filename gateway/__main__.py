"""``python -m gateway``: exactly ``tanfang gateway`` (the same command, settings checks,
logging and one-line errors), for the kill -9 test, the benchmark and process managers that
start a module."""

from __future__ import annotations

from tanfang.cli import app

if __name__ == "__main__":
    app(["gateway"], prog_name="python -m gateway")
