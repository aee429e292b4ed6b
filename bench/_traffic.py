"""Background device traffic for the alerting benchmark, in a process of its own so that
publishing never competes with the benchmark's webhook receiver for the GIL (a late
timestamp there would be read as notification latency).

    python -m bench._traffic --mqtt URL --root R --devices N --first-seq S \
        (--rate EPS --seconds T | --burst COUNT)

Paced: ``EPS`` events a second for ``T`` seconds; burst: ``COUNT`` events as fast as the
broker takes them. Every message is a QoS 1 publish the broker acknowledged. Prints one JSON
line: ``{"messages": …, "seconds": …}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._mqtt import RawPublisher
from bench._workload import Workload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mqtt", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--devices", type=int, required=True)
    parser.add_argument("--first-seq", type=int, required=True)
    parser.add_argument("--client-id", default="tanfang-bench-traffic")
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--seconds", type=float, default=0.0)
    parser.add_argument("--burst", type=int, default=0)
    args = parser.parse_args(argv)
    workload = Workload(args.root, args.devices)
    with RawPublisher(args.mqtt, args.client_id) as publisher:
        if args.burst:
            messages = workload.burst(args.burst, args.first_seq, datetime.now(UTC))
            stats = publisher.publish(messages)
        else:
            stats = publisher.publish_paced(
                args.rate,
                args.seconds,
                lambda i, now: workload.paced(i, now, args.first_seq),
            )
    print(json.dumps({"messages": stats.messages, "seconds": round(stats.seconds, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
