"""Serving model: 1,000 idle live streams held open while the main pages take 200 requests a second.

For each worker class (gthread with many threads, gevent), on PostgreSQL and Redis with two
gunicorn processes (one per core): prepare 100 rounds of 10 phones, open every phone's event
stream, check they all stay open, then send an open-loop load (requests start on a fixed
schedule, whether or not earlier ones have finished) spread over Vandaag, the intervisie overview,
a round page and the live state fragment. Prints the p95 per page and overall, the streams held,
and the server's memory. Loopback only; bounded in count (BENCH_STREAMS, BENCH_RATE x
BENCH_SECONDS) and time.
"""
from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time

import aiohttp

from bench import live_latency
from bench.live_latency import SECRET, free_port, percentile

STREAMS = int(os.environ.get("BENCH_STREAMS", "1000"))
RATE = float(os.environ.get("BENCH_RATE", "200"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
MODELS = os.environ.get("BENCH_MODELS", "gthread,gevent").split(",")


def start(port: int, model: str, env: dict) -> subprocess.Popen:
    command = [live_latency.gunicorn(), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
               "--workers", "2", "--worker-class", model, "--threads", str(STREAMS // 2 + 200),
               "--worker-connections", str(STREAMS + 500), "--log-level", "error", "app:create_app()"]
    process = subprocess.Popen(command, cwd=live_latency.ROOT, env={**os.environ, **env}, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            import urllib.request
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def rss_mb(process: subprocess.Popen) -> float:
    """Resident memory of the gunicorn master and its workers."""
    pids = [process.pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True,
                                                            text=True).stdout.split()]
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
        except (OSError, StopIteration):
            pass
    return total / 1024


async def hold_stream(http, url, opened: list, stop: asyncio.Event) -> None:
    async with http.get(url, timeout=aiohttp.ClientTimeout(total=None, sock_read=None)) as response:
        if response.status != 200:
            return
        await response.content.readline()
        opened.append(1)
        while not stop.is_set():
            if not await response.content.readline():
                opened.pop()
                return


async def measure(base: str, rounds: list) -> dict:
    connector = aiohttp.TCPConnector(limit=0)
    stop = asyncio.Event()
    opened: list = []
    sessions, tasks = [], []
    for round_id, cookies in rounds:
        for cookie, _token in cookies:
            http = aiohttp.ClientSession(connector=connector, connector_owner=False,
                                         headers={"Cookie": f"session={cookie}"}, cookie_jar=aiohttp.DummyCookieJar())
            sessions.append(http)
            tasks.append(asyncio.create_task(
                hold_stream(http, f"{base}/intervisie/rondes/{round_id}/live/stream", opened, stop)))
    deadline = time.monotonic() + 60
    while len(opened) < len(tasks) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    held_before = len(opened)
    round_id, cookies = rounds[0]
    pages = {"Vandaag": "/", "overview": "/intervisie/", "round page": f"/intervisie/rondes/{round_id}",
             "live state": f"/intervisie/rondes/{round_id}/live/stand"}
    page_http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), headers={"Cookie": f"session={cookies[2][0]}"},
                                      cookie_jar=aiohttp.DummyCookieJar())
    latencies: dict[str, list[float]] = {name: [] for name in pages}
    errors = 0

    async def one(name: str, path: str) -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            headers = {"HX-Request": "true"} if name == "live state" else {}
            async with page_http.get(base + path, headers=headers, allow_redirects=False,
                                     timeout=aiohttp.ClientTimeout(total=10)) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
        except (aiohttp.ClientError, asyncio.TimeoutError):
            errors += 1
        latencies[name].append(time.perf_counter() - started)

    names = list(pages)
    launched = []
    begin = time.perf_counter()
    for i in range(int(RATE * SECONDS)):
        await asyncio.sleep(max(0.0, begin + i / RATE - time.perf_counter()))
        name = names[i % len(names)]
        launched.append(asyncio.create_task(one(name, pages[name])))
    await asyncio.gather(*launched)
    achieved = len(launched) / (time.perf_counter() - begin)
    held_after = len(opened)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for http in [*sessions, page_http]:
        await http.close()
    await connector.close()
    return {"held": (held_before, held_after, len(tasks)), "latencies": latencies, "errors": errors, "rate": achieved}


def scenario(model: str, database_url: str, redis_url: str) -> dict:
    port = free_port()
    base = f"http://localhost:{port}"
    sizes = live_latency.ROUNDS, live_latency.PHONES
    live_latency.ROUNDS, live_latency.PHONES = STREAMS // 10, 10
    try:
        data = live_latency.prepare(database_url, base)
    finally:
        live_latency.ROUNDS, live_latency.PHONES = sizes
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": SECRET, "APP_URL": base,
           "RATELIMIT_AUTH": "100000 per minute", "LIVE_STREAMS_PER_PROCESS": str(STREAMS + 100),
           "LOG_FORMAT": "text", "LIVE_HEARTBEAT": "15"}
    server = start(port, model, env)
    try:
        result = asyncio.run(measure(base, data["rounds"]))
        result["rss_mb"] = rss_mb(server)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    every = [v for values in result["latencies"].values() for v in values]
    result["p95"] = percentile(every, 95)
    ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
    before, after, wanted = result["held"]
    print(f"Serving with {model} (2 processes, PostgreSQL, Redis): {before}/{wanted} streams open, {after} still open "
          f"after the load; pages at {result['rate']:.0f} req/s open loop: p95 {ms(result['p95'])}, "
          f"p50 {ms(statistics.median(every))}, {result['errors']} errors; server memory {result['rss_mb']:.0f} MB")
    for name, values in result["latencies"].items():
        print(f"  {name:<11} p95 {ms(percentile(values, 95))}  max {ms(max(values))}")
    return result


def main() -> dict:
    pg = live_latency.postgres_url()
    live_latency.ensure_database(pg)
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    return {model: scenario(model, pg, redis) for model in MODELS}


def rows() -> list:
    from bench.table import at_least, at_most
    found = []
    for model, result in main().items():
        before, after, wanted = result["held"]
        found.append(at_least(f"Open live streams held, {model} (2 processes)", min(before, after), "streams", wanted))
        found.append(at_most(f"Main pages p95 at {RATE:g}/s open loop for {SECONDS:g} s beside the streams, {model}",
                             result["p95"] * 1000, "ms", 25))
        found.append(at_least(f"Page request rate achieved, {model}", result["rate"], "req/s", RATE * 0.95,
                              shown=f"≥ {RATE * 0.95:g} req/s (95% of {RATE:g})"))
        found.append(at_most(f"Page errors and time-outs, {model}", result["errors"], "requests", 0, shown="0"))
    return found


if __name__ == "__main__":
    sys.exit(main() and 0)
