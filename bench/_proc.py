"""This process's memory, for the benchmarks' figures."""

from __future__ import annotations

import os


def rss_mib() -> float:
    """Resident set size now (VmRSS), MiB."""
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")
