"""One row of the benchmark table, and RESULTS.md written from all of them."""
from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


@dataclass(frozen=True)
class Row:
    name: str
    value: float | None       # None: the benchmark could not run
    unit: str
    target: str = ""          # as people read it, e.g. "≤ 60 KB"; empty: a figure without a target
    passed: bool | None = None  # None: no target, or not measured

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "**miss**", None: "—" if self.value is not None else "not run"}[self.passed]


def at_most(name: str, value: float | None, unit: str, limit: float, shown: str | None = None) -> Row:
    ok = None if value is None else value <= limit
    return Row(name, value, unit, shown or f"≤ {limit:g} {unit}", ok)


def at_least(name: str, value: float | None, unit: str, limit: float, shown: str | None = None) -> Row:
    ok = None if value is None else value >= limit
    return Row(name, value, unit, shown or f"≥ {limit:g} {unit}", ok)


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"


def _postgres_version(url: str) -> str:
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return f"PostgreSQL {connection.scalar(text('show server_version'))} ({url.rsplit('/', 1)[-1]})"
    except Exception as exc:  # the table still gets written; the PostgreSQL rows will say they did not run
        return f"PostgreSQL not reachable ({type(exc).__name__})"
    finally:
        engine.dispose()


def machine(load_before: tuple[float, float, float], postgres_url: str) -> list[str]:
    import sqlite3
    load_after = os.getloadavg()
    return [
        f"- Machine: {os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()} ({sys.implementation.name}); SQLite {sqlite3.sqlite_version}; "
        f"{_postgres_version(postgres_url)}",
        f"- Load average (1/5/15 min) at the start {load_before[0]:.1f}/{load_before[1]:.1f}/{load_before[2]:.1f}, "
        f"at the end {load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f}: the machine is shared, "
        "so wall-clock figures vary from run to run; push throughput is per CPU-second of the worker.",
    ]


def write(rows: list[Row], started: datetime, load_before, postgres_url: str, notes: list[str]) -> Path:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {started:%Y-%m-%d %H:%M} UTC "
        f"(took {(datetime.now(timezone.utc) - started).total_seconds() / 60:.0f} min).",
        "",
        *machine(load_before, postgres_url),
        "",
        "| Benchmark | Value | Unit | Target | Result |",
        "|---|---:|---|---|---|",
        *(f"| {r.name} | {_number(r.value)} | {r.unit} | {r.target or '—'} | {r.verdict} |" for r in rows),
        "",
    ]
    if notes:
        lines += ["Notes:", "", *(f"- {n}" for n in notes), ""]
    misses = [r.name for r in rows if r.passed is False]
    lines.append(f"Missed targets: {', '.join(misses)}." if misses else "Every measured target was met.")
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return RESULTS
