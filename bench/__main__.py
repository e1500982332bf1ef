"""Run every benchmark and write bench/RESULTS.md: `make bench` (or `.venv/bin/python -m bench`).

Each module's `rows()` runs its benchmark (printing its details as it goes) and returns table rows.
One that fails is a row saying so; the others still run. `BENCH_ONLY=push,matching` picks modules.
"""
from __future__ import annotations

import os
import traceback
from datetime import datetime, timezone

from bench import lighthouse, live_latency, matching, notify_throughput, page_weight, recognisable_eval, serving
from bench.table import Row, write

MODULES = {
    "page_weight": page_weight,
    "lighthouse": lighthouse,
    "push": notify_throughput,
    "live_latency": live_latency,
    "matching": matching,
    "recognisable": recognisable_eval,
    "serving": serving,
}


def main() -> None:
    only = {m.strip() for m in os.environ.get("BENCH_ONLY", "").split(",") if m.strip()}
    started, load_before = datetime.now(timezone.utc), os.getloadavg()
    rows: list[Row] = []
    notes: list[str] = []
    for key, module in MODULES.items():
        if only and key not in only:
            continue
        print(f"\n=== {key} ===", flush=True)
        try:
            rows += module.rows()
        except Exception as exc:  # one broken benchmark must not lose the others' figures
            traceback.print_exc()
            rows.append(Row(f"{key}: did not run", None, "", "", None))
            notes.append(f"{key}: {type(exc).__name__}: {str(exc)[:200]}")
        notes += getattr(module, "NOTES", [])
    path = write(rows, started, load_before, live_latency.postgres_url(), notes)
    print(f"\nWrote {path}")


if __name__ == "__main__":
    main()
