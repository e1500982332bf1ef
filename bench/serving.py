"""Serving model: 1,000 idle live streams held open while the main pages take 200 requests a second.

For each worker class (gevent, production's; gthread with many threads, `make run`'s), on
PostgreSQL and Redis with two gunicorn processes (one per core), in one server run:
1. the live state endpoint's throughput against a bare endpoint's (/robots.txt), closed loop;
2. an open-loop load (requests start on a fixed schedule, whether or not earlier ones have
   finished) over Vandaag, the intervisie overview, a round page and the live state fragment,
   stepped up to the target rate (BENCH_RATES), with no streams open;
3. the same after opening 100 rounds x 10 phones' event streams (BENCH_STREAMS), checking they
   all stay open.
Prints the p95 per step and per page, the highest rate whose p95 stays within 25 ms, the streams
held and the server's memory. Loopback only; bounded in count and time.
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
RATE = float(os.environ.get("BENCH_RATE", "200"))  # the target; the load steps up to it
RATES = [float(r) for r in os.environ.get("BENCH_RATES", f"25,50,75,100,150,{RATE:g}").split(",")]
SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))
MODELS = os.environ.get("BENCH_MODELS", "gevent,gthread").split(",")


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


async def open_loop(base: str, pages: dict, cookie: str, rate: float, seconds: float) -> dict:
    """Requests start on a fixed schedule whether or not earlier ones have finished (open loop),
    round-robin over `pages`; returns per-page latencies, errors and the rate achieved."""
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), headers={"Cookie": f"session={cookie}"},
                                 cookie_jar=aiohttp.DummyCookieJar())
    latencies: dict[str, list[float]] = {name: [] for name in pages}
    errors = 0

    async def one(name: str, path: str) -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            headers = {"HX-Request": "true"} if name == "live state" else {}
            async with http.get(base + path, headers=headers, allow_redirects=False,
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
    for i in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, begin + i / rate - time.perf_counter()))
        name = names[i % len(names)]
        launched.append(asyncio.create_task(one(name, pages[name])))
    sent_in = time.perf_counter() - begin
    await asyncio.gather(*launched)
    await http.close()
    every = [v for values in latencies.values() for v in values]
    return {"rate": rate, "sent": len(launched) / sent_in, "latencies": latencies, "errors": errors,
            "p95": percentile(every, 95), "p50": statistics.median(every)}


async def closed_loop(http: aiohttp.ClientSession, url: str, seconds: float = 4, concurrency: int = 8,
                      headers: dict | None = None) -> float:
    """Requests per second with `concurrency` clients each sending the next as soon as one returns."""
    done = 0
    end = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal done
        while time.perf_counter() < end:
            async with http.get(url, headers=headers, allow_redirects=False) as response:
                await response.read()
                done += response.status == 200
    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return done / (time.perf_counter() - began)


async def ratio_to_bare(base: str, live_state: str, cookie: str, concurrency: int = 8) -> dict[str, list]:
    """Requests per second of the live state endpoint and of a bare one (/robots.txt), three
    alternations of two seconds each. The bare endpoint is measured as the target was set (with
    the phone's sign-in, which every request of that phone pays: the sign-in's query) and, for
    the record, without one.

    All go over the same kept-alive connections, opened once. A connection stays with the process
    that accepted it, and eight of them often land unevenly on the two: measured on connections of
    its own, each endpoint got a different share of the server (the same server gave 271 or 502
    live states a second from one run to the next)."""
    signed_in = {"Cookie": f"session={cookie}"}
    endpoints = {"bare": ("/robots.txt", signed_in), "bare, nobody signed in": ("/robots.txt", {}),
                 "live state": (live_state, {**signed_in, "HX-Request": "true"})}
    rates: dict[str, list] = {name: [] for name in endpoints}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency),
                                     cookie_jar=aiohttp.DummyCookieJar()) as http:
        for _ in range(3):
            for name, (path, headers) in endpoints.items():
                rates[name].append(await closed_loop(http, base + path, seconds=2, concurrency=concurrency,
                                                     headers=headers))
    return rates


async def stepped(base: str, pages: dict, cookie: str) -> list[dict]:
    """One open-loop step per rate. A step beyond the server's capacity leaves a backlog (requests
    the client gave up on still run on the server), so the next step waits until the server
    answers a bare request quickly again: each step is measured on its own."""
    steps = []
    for rate in RATES:
        step = await open_loop(base, pages, cookie, rate, SECONDS)
        steps.append(step)
        if step["p95"] > 1 or step["errors"]:
            await drained(base)
    return steps


async def drained(base: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                async with http.get(base + "/robots.txt", timeout=aiohttp.ClientTimeout(total=5)) as response:
                    await response.read()
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            if time.perf_counter() - started < 0.05:
                return
            await asyncio.sleep(1)


def highest_within(steps: list[dict], limit: float) -> float:
    """The highest rate whose p95 stayed within `limit` seconds without errors (0 if none did)."""
    return max((step["rate"] for step in steps if step["p95"] <= limit and not step["errors"]), default=0.0)


async def measure(base: str, rounds: list, rss) -> dict:
    round_id, cookies = rounds[0]
    cookie = cookies[2][0]
    pages = {"Vandaag": "/", "overview": "/intervisie/", "round page": f"/intervisie/rondes/{round_id}",
             "live state": f"/intervisie/rondes/{round_id}/live/stand"}
    result: dict = {}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        for path in pages.values():  # first requests compile templates and fill caches: not measured
            await closed_loop(http, base + path, seconds=0.5, concurrency=2,
                              headers={"Cookie": f"session={cookie}", "HX-Request": "true"})
    # The live state endpoint against a bare one, same server, same run, nothing else going on:
    # three alternations, the median of each, so a slow second on the shared machine weighs less.
    rates = await ratio_to_bare(base, pages["live state"], cookie)
    result["ratio"] = {name: statistics.median(values) for name, values in rates.items()}
    print("  closed loop, median of 3: " + ", ".join(
        f"{name} {result['ratio'][name]:.0f} req/s ({', '.join(f'{v:.0f}' for v in values)})"
        for name, values in rates.items()) + f": ratio {result['ratio']['live state'] / result['ratio']['bare']:.2f}")
    result["alone"] = await stepped(base, pages, cookie)
    for step in result["alone"]:
        print(f"  no streams, {step['rate']:g}/s: p95 {step['p95'] * 1000:.1f} ms, p50 {step['p50'] * 1000:.1f} ms, "
              f"{step['errors']} errors")

    connector = aiohttp.TCPConnector(limit=0)
    stop = asyncio.Event()
    opened: list = []
    sessions, tasks = [], []
    for stream_round, stream_cookies in rounds:
        for stream_cookie, _token in stream_cookies:
            http = aiohttp.ClientSession(connector=connector, connector_owner=False,
                                         headers={"Cookie": f"session={stream_cookie}"},
                                         cookie_jar=aiohttp.DummyCookieJar())
            sessions.append(http)
            tasks.append(asyncio.create_task(
                hold_stream(http, f"{base}/intervisie/rondes/{stream_round}/live/stream?v=0", opened, stop)))
    deadline = time.monotonic() + 120
    while len(opened) < len(tasks) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    held_before = len(opened)
    await asyncio.sleep(2)  # let the connect burst settle: what counts is pages beside idle streams
    result["rss_mb"] = rss()
    result["beside"] = await stepped(base, pages, cookie)
    for step in result["beside"]:
        print(f"  {held_before} streams, {step['rate']:g}/s: p95 {step['p95'] * 1000:.1f} ms, "
              f"p50 {step['p50'] * 1000:.1f} ms, {step['errors']} errors")
    result["held"] = (held_before, len(opened), len(tasks))
    stop.set()
    await live_latency.hang_up(tasks, sessions, connector)
    return result


def scenario(model: str, database_url: str, redis_url: str) -> dict:
    port = free_port()
    base = f"http://localhost:{port}"
    data = live_latency.prepare(database_url, base, max(1, STREAMS // 10), 10)
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": SECRET, "APP_URL": base,
           "RATELIMIT_AUTH": "100000 per minute", "LIVE_STREAMS_PER_PROCESS": str(STREAMS + 100),
           "LOG_FORMAT": "text", "LIVE_HEARTBEAT": "15"}
    server = start(port, model, env)
    try:
        result = asyncio.run(measure(base, data["rounds"], lambda: rss_mb(server)))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    before, after, wanted = result["held"]
    print(f"Serving with {model} (2 processes, PostgreSQL, Redis): {before}/{wanted} streams open, {after} still open "
          f"after the load; highest rate with p95 within 25 ms: {highest_within(result['alone'], 0.025):g}/s alone, "
          f"{highest_within(result['beside'], 0.025):g}/s beside the streams; server memory {result['rss_mb']:.0f} MB")
    at_target = result["beside"][-1]
    for name, values in at_target["latencies"].items():
        print(f"  at {at_target['rate']:g}/s beside the streams: {name:<11} p95 {percentile(values, 95) * 1000:.1f} ms")
    return result


def main() -> dict:
    pg = live_latency.postgres_url()
    live_latency.ensure_database(pg)
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    return {model: scenario(model, pg, redis) for model in MODELS}


def rows() -> list:
    from bench.table import Row, at_least, at_most
    found = []
    for model, result in main().items():
        before, after, wanted = result["held"]
        top = result["beside"][-1]
        found.append(at_least(f"Open live streams held, {model} (2 processes)", min(before, after), "streams", wanted))
        found.append(at_most(f"Main pages p95 at {top['rate']:g}/s open loop beside {wanted:,} streams, {model}",
                             top["p95"] * 1000, "ms", 25))
        found.append(at_most(f"Page errors and time-outs at {top['rate']:g}/s beside the streams, {model}",
                             top["errors"], "requests", 0, shown="0"))
        for key, label in (("alone", "no streams"), ("beside", f"beside {wanted:,} streams")):
            found.append(at_least(f"Highest page rate with p95 ≤ 25 ms ({label}; steps {'/'.join(f'{r:g}' for r in RATES)}), "
                                  f"{model}", highest_within(result[key], 0.025), "req/s", RATE))
        for key, label in (("alone", "no streams"), ("beside", f"beside {wanted:,} streams")):
            found.append(Row(f"Highest page rate with p95 ≤ 100 ms ({label}), {model}",
                             highest_within(result[key], 0.1), "req/s"))
        found.append(Row(f"Server memory with {wanted:,} streams open, {model} (2 processes)", result["rss_mb"], "MB"))
        ratio = result["ratio"]
        found.append(Row(f"Bare endpoint (/robots.txt, the phone signed in), closed loop, {model}", ratio["bare"],
                         "req/s"))
        found.append(at_least(f"Live state throughput / bare endpoint's, same server and run, {model}",
                              ratio["live state"] / ratio["bare"], "", 1 / 3, shown="≥ 0.33"))
        found.append(Row(f"Bare endpoint with nobody signed in (no sign-in query), closed loop, {model}",
                         ratio["bare, nobody signed in"], "req/s"))
        found.append(Row(f"Live state throughput / that of the bare endpoint with nobody signed in, {model}",
                         ratio["live state"] / ratio["bare, nobody signed in"], ""))
    return found


if __name__ == "__main__":
    sys.exit(main() and 0)
