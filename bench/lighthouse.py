"""Lighthouse scores (mobile preset) for the sign-in page, Vandaag and a live round page.

Runs the `lighthouse` CLI from npm against Debian's Chromium (/usr/bin/chromium) on the app as
bench/page_weight.py starts it: a temporary SQLite database with one live-ready round and a
signed-in participant, whose session cookie Lighthouse sends as an extra header. Lighthouse is
installed on demand into a cache directory outside the repository (~/.cache/leerkring-bench, or
LIGHTHOUSE_CACHE), so package.json, `make deps` and CI stay as they are.

The live page keeps an event stream open, so the network never goes quiet and Lighthouse waits
out its 45-second load limit, then warns that the results may be incomplete. Its stream URL is
blocked instead, and the page is measured as it first renders (live.js tries the stream again).
Each page is measured LIGHTHOUSE_RUNS times (3): performance is the median run's (it moves with
the machine's load), accessibility and best practices the worst run's. Prints each failing audit's id (with the reasons for the back/forward cache audit).
LIGHTHOUSE_REPORTS=<dir> keeps the JSON reports there.
Target (issue 11): performance at least 95, accessibility 100, best practices 100 on each page.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# 13.x needs Node 22; Debian bookworm's Node is 20. Pinned so that scores compare across runs.
VERSION = "12.8.2"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility", "best-practices")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100}
RUNS = int(os.environ.get("LIGHTHOUSE_RUNS", "3"))


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "leerkring-bench"
    return Path(os.environ.get("LIGHTHOUSE_CACHE", default)) / f"lighthouse-{VERSION}"


def lighthouse_cli() -> Path:
    """The pinned lighthouse CLI, installed with npm the first time (about 190 MB, once)."""
    prefix = cache_dir()
    cli = prefix / "node_modules" / "lighthouse" / "cli" / "index.js"
    if not cli.exists():
        if shutil.which("npm") is None:
            raise RuntimeError("the Lighthouse benchmark needs node and npm")
        prefix.mkdir(parents=True, exist_ok=True)
        print(f"Installing lighthouse@{VERSION} into {prefix}", flush=True)
        subprocess.run(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--no-save",
                        "--loglevel=error", f"lighthouse@{VERSION}"], check=True)
    return cli


def run(cli: Path, url: str, out: Path, cookie: str | None = None, blocked: tuple[str, ...] = ()) -> dict:
    """One Lighthouse run with its defaults (mobile form factor, simulated throttling). The CLI
    has no flag for the browser: its launcher reads CHROME_PATH."""
    command = ["node", str(cli), url, "--output=json", f"--output-path={out}", "--quiet",
               f"--only-categories={','.join(CATEGORIES)}",
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu"]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": f"session={cookie}"}))
    command += [f"--blocked-url-patterns={pattern}" for pattern in blocked]
    # Lighthouse sometimes fails to record the trace of a load ("NO_NAVSTART ... Please run
    # Lighthouse again") and exits 1: that run is tried again, twice at most; a page that fails
    # every time still stops the benchmark.
    for attempt in range(3):
        done = subprocess.run(command, timeout=300, env={**os.environ, "CHROME_PATH": CHROME},
                              capture_output=True, text=True)
        if done.returncode == 0:
            return json.loads(out.read_text(encoding="utf-8"))
        print(f"  Lighthouse failed on {url} (try {attempt + 1} of 3): {done.stderr.strip()[-300:]}", flush=True)
    done.check_returncode()


def failing(report: dict, skip: tuple[str, ...] = ()) -> list[str]:
    """Audits that cost points, and the informative ones that did not pass, with their reasons."""
    found = []
    for category in report["categories"].values():
        if category["id"] in skip:
            continue
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if audit.get("score") is None or audit["score"] >= 1 or audit["scoreDisplayMode"] == "notApplicable":
                continue
            if category["id"] == "performance" and ref.get("weight", 0) == 0 and audit["score"] >= 0.9:
                continue  # the many metric-adjacent diagnostics that pass their own threshold
            line = f"{category['id']}: {ref['id']} (score {audit['score']:.2f}, weight {ref.get('weight', 0)})"
            if audit.get("displayValue"):
                line += f" {audit['displayValue']}"
            found.append(line)
            found += [f"    {reason}" for reason in details(audit)]
    return found


def details(audit: dict) -> list[str]:
    items = (audit.get("details") or {}).get("items") or []
    lines = []
    for item in items[:8]:
        if "reason" in item:  # bf-cache: why the page was not restored
            lines.append(f"{item.get('failureType', '')}: {item['reason']}")
        elif "url" in item:
            lines.append(str(item["url"]))
        elif "node" in item:
            lines.append(item["node"].get("snippet", ""))
    return lines


def scores(report: dict) -> dict[str, int | None]:
    return {key: None if report["categories"][key]["score"] is None else round(report["categories"][key]["score"] * 100)
            for key in CATEGORIES}


def median_run(reports: list[dict]) -> dict:
    """The run with the median performance score: Lighthouse's own advice against its variance.
    Performance moves with the machine's load (simulated throttling scales the measured CPU
    time); the other categories should not move at all."""
    return sorted(reports, key=lambda report: scores(report)["performance"] or 0)[len(reports) // 2]


def summary(reports: list[dict]) -> dict[str, int | None]:
    """Performance from the median run; accessibility and best practices from the worst run, so
    that a point lost in any run shows."""
    found = scores(median_run(reports))
    for key in CATEGORIES[1:]:
        values = [scores(report)[key] for report in reports]
        found[key] = None if None in values else min(values)
    return found


def lighthouse_page(cli: Path, name: str, page_url: str, out: Path, cookie, blocked) -> dict:
    report = run(cli, page_url, out, cookie, blocked)
    if report.get("runtimeError"):
        raise RuntimeError(f"{name}: {report['runtimeError']}")
    final = report.get("finalDisplayedUrl") or report.get("finalUrl")
    if final != page_url:  # a sign-in redirect would score the wrong page
        raise RuntimeError(f"{name}: Lighthouse ended on {final}, not {page_url}")
    if os.environ.get("LIGHTHOUSE_REPORTS"):
        keep = Path(os.environ["LIGHTHOUSE_REPORTS"])
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(out, keep / out.name)
    return report


def measure_all() -> dict:
    """Each page's scores over RUNS Lighthouse runs (see summary)."""
    from bench.page_weight import serve
    cli = lighthouse_cli()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        server, url, live_path, cookie = serve(tmp)
        pages = {"sign-in page": (f"{url}/inloggen", None, ()),
                 "Vandaag": (f"{url}/", cookie, ()),
                 "live round page": (f"{url}{live_path}", cookie, ("*/live/stream",))}
        runs: dict[str, list[dict]] = {}
        try:
            for name, (page_url, page_cookie, blocked) in pages.items():
                runs[name] = [lighthouse_page(cli, name, page_url, tmp / f"{name.replace(' ', '-')}-{i + 1}.json",
                                              page_cookie, blocked) for i in range(RUNS)]
        finally:
            server.shutdown()
    for name, reports in runs.items():
        print(f"Lighthouse {reports[0]['lighthouseVersion']}, {name}, {len(reports)} runs: " +
              ", ".join(f"{key} {value}" for key, value in summary(reports).items()) +
              " (per run: " + "; ".join("/".join(str(v) for v in scores(r).values()) for r in reports) + ")")
        median = median_run(reports)
        for report in reports:  # the median run's failing audits; of the others, only what is not performance
            lines = failing(report, skip=() if report is median else ("performance",))
            if lines:
                print(f"  run {reports.index(report) + 1}{' (median)' if report is median else ''}:",
                      *(f"  {line}" for line in lines), sep="\n  ")
    return {name: summary(reports) for name, reports in runs.items()}


def main() -> None:
    measure_all()


def rows() -> list:
    from bench.table import at_least
    found = []
    for name, page_scores in measure_all().items():
        for key, score in page_scores.items():
            how = "median" if key == "performance" else "worst"
            found.append(at_least(f"Lighthouse (mobile), {name}: {key} ({how} of {RUNS} runs)", score, "points",
                                  TARGETS[key]))
    return found


if __name__ == "__main__":
    main()
