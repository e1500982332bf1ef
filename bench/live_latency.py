"""Live rounds under load: rounds of 10 phones each, all connected at once.

For every phase change the facilitator makes, measures the time until each phone of that round
has the new state, exactly as a phone gets it: in the stream's message itself, or (a phone with
something of its own on screen, or an older server) by fetching it after a "changed" event. Three runs (`setups()`; BENCH_LIVE=embedded,scale-out picks):
the embedded default (one gthread process, SQLite, in-process broker) with 30 rounds, and
production's model (two gevent processes, PostgreSQL and Redis) with 100 rounds (1,000 phones)
at a busy pace and at ten changes a second. Prints p50, p95 and max of the per-phone latency
and of the slowest phone per change.
"""
from __future__ import annotations

import asyncio
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
from itsdangerous import URLSafeTimedSerializer

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))          # the embedded default
BIG_ROUNDS = int(os.environ.get("BENCH_BIG_ROUNDS", "100"))  # the scale-out path: 1,000 phones
PHONES = int(os.environ.get("BENCH_PHONES", "10"))
CHANGES = int(os.environ.get("BENCH_CHANGES", "3"))
# Rounds change independently: each round's change falls at a random moment within this window
# (30 s for 30 rounds is one change a second, far above a real day, where a round changes phase
# every few minutes). BENCH_SPREAD=3 is a stress test at ten changes a second; 0 = all at once.
SPREAD = float(os.environ.get("BENCH_SPREAD", "30"))
SECRET = "bench-secret-key"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(database_url: str, app_url: str, rounds_count: int | None = None, phones: int | None = None) -> dict:
    """A team with `rounds_count` live-ready rounds of `phones` people (ROUNDS x PHONES unless
    given); returns signed session cookies."""
    rounds_count, phones = rounds_count or ROUNDS, phones or PHONES
    from app import create_app
    from app.accounts import login_sessions
    from app.accounts.models import Membership, Organisation, Person, Team
    from app.extensions import db
    from app.intervisie import methods
    from app.intervisie.models import Participant, Round

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET, "APP_URL": app_url})
    serializer = app.session_interface.get_signing_serializer(app)
    csrf = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token")
    rounds = []
    with app.app_context():
        db.drop_all()
        db.create_all()
        org = Organisation(name="Bench")
        team = Team(name="Bench", organisation=org)
        db.session.add_all([org, team])
        for r in range(rounds_count):
            people = [Person(name=f"Collega {r}-{i}", organisation=org) for i in range(phones)]
            db.session.add_all(people)
            for p in people:
                db.session.add(Membership(person=p, team=team, role="member"))
            method = methods.get("tien_stappen")
            db.session.flush()
            rnd = Round(team_id=team.id, title=f"Ronde {r}", starts_at=datetime.now(timezone.utc) + timedelta(minutes=5),
                        method_key=method.key, minutes=method.default_minutes(), status="planned",
                        phase_index=-1, revealed=[], version=0)
            for i, p in enumerate(people):
                role = "facilitator" if i == 0 else "presenter" if i == 1 else "participant"
                rnd.participants.append(Participant(person=p, role=role))
            db.session.add(rnd)
            db.session.flush()
            # Each phone is signed in already, with its CSRF secret in the session, as after a passkey sign-in.
            cookies = []
            for p in people:
                raw = secrets.token_hex(20)
                _record, login_token = login_sessions.start_session(db.session, p.id, label="Bench")
                cookies.append((serializer.dumps({"_user_id": f"{p.id}.{login_token}", "_fresh": True,
                                                  "csrf_token": raw}),
                                csrf.dumps(raw)))
            rounds.append((rnd.id, cookies))
        db.session.commit()
        analyze(db.engine)
        db.engine.dispose()
    return {"rounds": rounds}


def analyze(engine) -> None:
    """PostgreSQL's table statistics, as a database in use has them. Freshly filled tables have
    none: the planner guesses, and autovacuum may analyze them in the middle of a measurement."""
    if engine.dialect.name != "postgresql":  # SQLite keeps none unless asked, and the app does not ask
        return
    from sqlalchemy import text
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def gunicorn() -> str:
    """gunicorn next to the Python running the benchmark (.venv/bin in `make bench`)."""
    return str(Path(sys.executable).with_name("gunicorn"))


def postgres_url() -> str:
    """The PostgreSQL database the benchmarks empty and fill: `bench` unless BENCH_POSTGRES_URL says
    otherwise (never the tests' database, which other runs use), created when missing."""
    return os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench")


def ensure_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if connection.scalar(text("select 1 from pg_database where datname = :n"), {"n": target.database}) is None:
                connection.execute(text(f'create database "{target.database}"'))
    finally:
        engine.dispose()


def start_server(port: int, workers: int, env: dict, model: str = "gthread", streams: int = 400) -> subprocess.Popen:
    """gunicorn as `make run` starts it (gthread) or as production does (gevent, gunicorn.conf.py),
    sized to hold `streams` open event streams across its processes."""
    if model == "gevent":  # gunicorn.conf.py lets 3/4 of the connections be streams: room for all in one process
        command = [gunicorn(), "-c", "gunicorn.conf.py", "--worker-connections", str(streams + 500)]
    else:  # as `make run`, with threads enough for this many streams
        per_process = streams // workers + 100
        command = [gunicorn(), "--worker-class", "gthread", "--threads", str(per_process * 2), "--keep-alive", "75"]
        env = {"LIVE_STREAMS_PER_PROCESS": str(per_process), **env}
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--graceful-timeout", "2",
                "--log-level", "error", "app:create_app()"]
    env = {"LOG_FORMAT": "text", **env}
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


class Phone:
    def __init__(self, http: aiohttp.ClientSession, base: str, round_id: int):
        self.http, self.base, self.round_id = http, base, round_id
        self.version = 0  # as a phone that has just loaded the live page (prepare() leaves version 0)
        self.seen: dict[int, float] = {}  # version -> when this phone had that state
        self.connected = asyncio.Event()
        self.updated: asyncio.Condition | None = None  # shared by the phones of one round

    async def listen(self) -> None:
        url = f"{self.base}/intervisie/rondes/{self.round_id}/live/stream?v={self.version}"
        for _attempt in range(10):
            async with self.http.get(url, timeout=aiohttp.ClientTimeout(total=None, sock_read=None),
                                     allow_redirects=False) as response:
                if response.status == 429:  # a busy process: try again later, as hx-sse does
                    await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                    continue
                if response.status != 200:
                    raise RuntimeError(f"stream refused: {response.status}")
                await self.follow(response)
                return
        raise RuntimeError("stream refused ten times")

    async def follow(self, response) -> None:
        """Read the stream as hx-sse does: an unnamed message is the new state itself (swapped in),
        "changed" sends the phone to fetch it."""
        self.connected.set()
        name, event_id, data = "", None, []
        async for raw in response.content:
            line = raw.decode().rstrip("\r\n")
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("id:"):
                event_id = int(line[3:].strip())
            elif line.startswith("data:"):
                data.append(line[5:])
            elif not line:
                if data and not name and event_id is not None:
                    await self.show(event_id)
                elif name == "changed" and int(data[0]) > self.version:
                    await self.fetch(int(data[0]))
                name, event_id, data = "", None, []

    async def show(self, version: int) -> None:
        """This phone now shows `version`."""
        self.version = max(self.version, version)
        self.seen.setdefault(version, time.perf_counter())
        async with self.updated:
            self.updated.notify_all()

    async def fetch(self, announced: int) -> None:
        url = f"{self.base}/intervisie/rondes/{self.round_id}/live/stand"
        async with self.http.get(url, headers={"HX-Request": "true"}) as response:
            await response.read()
            version = int(response.headers.get("X-Round-Version", announced))
        await self.show(version)


async def run(base: str, rounds: list, spread: float) -> tuple[list[float], list[float]]:
    connector = aiohttp.TCPConnector(limit=0)
    phones_of: dict[int, list[Phone]] = {}
    facilitators = {}
    sessions = []
    tasks = []
    for round_id, cookies in rounds:
        phones_of[round_id] = []
        updated = asyncio.Condition()
        for i, (cookie, token) in enumerate(cookies):
            http = aiohttp.ClientSession(connector=connector, connector_owner=False,
                                         headers={"Cookie": f"session={cookie}"}, cookie_jar=aiohttp.DummyCookieJar())
            sessions.append(http)
            phone = Phone(http, base, round_id)
            phone.updated = updated
            phones_of[round_id].append(phone)
            tasks.append(asyncio.create_task(phone.listen()))
            if i == 0:
                facilitators[round_id] = (http, token)
    await asyncio.wait_for(asyncio.gather(*(p.connected.wait() for ps in phones_of.values() for p in ps)), 120)
    per_phone, per_change = [], []
    post_times = []
    by_step: dict[int, list[float]] = {}

    async def change(round_id: int, step: int) -> None:
        http, token = facilitators[round_id]
        await asyncio.sleep(random.uniform(0, spread))
        path = "start" if step == 0 else "volgende"
        started = time.perf_counter()
        async with http.post(f"{base}/intervisie/rondes/{round_id}/live/{path}", data={"phase": step - 1},
                             headers={"X-CSRFToken": token, "HX-Request": "true"}) as response:
            if response.status != 200:
                raise RuntimeError(f"facilitator's change refused: {response.status}")
            version = int(response.headers["X-Round-Version"])
        post_times.append(time.perf_counter() - started)
        phones = phones_of[round_id]
        condition = phones[0].updated
        try:
            async with condition:
                await asyncio.wait_for(condition.wait_for(lambda: all(p.version >= version for p in phones)), 10)
        except asyncio.TimeoutError:
            pass
        times = [p.seen.get(version, min((t for v, t in p.seen.items() if v >= version), default=float("inf")))
                 - started for p in phones]
        per_phone.extend(times)
        per_change.append(max(times))
        by_step.setdefault(step, []).append(max(times))

    await asyncio.sleep(0.5)
    for step in range(CHANGES):
        await asyncio.gather(*(change(round_id, step) for round_id in phones_of))
        await asyncio.sleep(0.3)
    await hang_up(tasks, sessions, connector)
    if os.environ.get("BENCH_DEBUG"):
        print("  facilitator's POST alone: p50", f"{statistics.median(post_times) * 1000:.0f} ms",
              "max", f"{max(post_times) * 1000:.0f} ms")
        for step, values in by_step.items():
            print(f"  step {step}: slowest phone p50 {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms")
    return per_phone, per_change


async def hang_up(tasks: list, sessions: list, connector) -> None:
    """Close every phone's stream and connection."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for http in sessions:
        await http.close()
    await connector.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@dataclass(frozen=True)
class Setup:
    key: str
    label: str            # as the table shows it
    rounds: int
    spread: float         # seconds over which each step's changes fall (rounds / spread = changes per second)
    workers: int
    model: str            # gunicorn worker class
    scale_out: bool       # PostgreSQL + Redis, else SQLite and the in-process broker
    target_ms: float


def setups() -> list[Setup]:
    """The embedded default as `make run` serves it (one gthread process; a small organisation),
    and production's model (gevent, one process per core, PostgreSQL and Redis) with 1,000
    phones at a busy pace and at ten changes a second."""
    return [
        Setup("embedded", "1 process (gthread), SQLite", ROUNDS, SPREAD, 1, "gthread", False, 300),
        Setup("scale-out", "2 processes (gevent), PostgreSQL + Redis", BIG_ROUNDS, SPREAD, 2, "gevent", True, 300),
        Setup("scale-out-stress", "2 processes (gevent), PostgreSQL + Redis, ten changes a second", BIG_ROUNDS,
              BIG_ROUNDS / 10, 2, "gevent", True, 1000),
    ]


def scenario(setup: Setup, database_url: str, redis_url: str | None) -> dict:
    port = free_port()
    base = f"http://localhost:{port}"
    data = prepare(database_url, base, setup.rounds, PHONES)
    env = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET, "APP_URL": base, "RATELIMIT_AUTH": "100000 per minute"}
    if redis_url:
        env["REDIS_URL"] = redis_url
    server = start_server(port, setup.workers, env, setup.model, setup.rounds * PHONES)
    try:
        time.sleep(2)  # the workers have booted
        before, wall = cpu_split(server), time.monotonic()
        per_phone, per_change = asyncio.run(run(base, data["rounds"], setup.spread))
        after, wall = cpu_split(server), time.monotonic() - wall
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    ms = lambda v: f"{v * 1000:.0f} ms"  # noqa: E731
    missing = sum(1 for v in per_phone if v == float("inf"))
    finite = [v for v in per_phone if v != float("inf")] or [float("inf")]
    print(f"{setup.label}: {setup.rounds} rounds x {PHONES} phones connected, {CHANGES} changes per round, each step "
          f"spread over {setup.spread:g} s ({setup.rounds / setup.spread:.1f} changes a second; {len(per_change)} "
          f"changes, {len(per_phone)} phone updates{f', {missing} missed' if missing else ''})")
    print(f"  per phone       p50 {ms(statistics.median(finite))}  p95 {ms(percentile(finite, 95))}  max {ms(max(finite))}")
    print("  CPU over the run's " + f"{wall:.0f} s (2 cores): " + ", ".join(
        f"{name} {after[name] - before[name]:.1f} s" for name in after))
    print(f"  slowest phone   p50 {ms(statistics.median(per_change))}  p95 {ms(percentile(per_change, 95))}  "
          f"max {ms(max(per_change))}")
    return {"p95": percentile(finite, 95), "p50": statistics.median(finite), "missed": missing,
            "updates": len(per_phone)}


def cpu_seconds(pids) -> float:
    """User + system CPU seconds of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def cpu_split(server: subprocess.Popen) -> dict[str, float]:
    """Where the machine's CPU goes: the server's processes, the phones (this process), PostgreSQL
    and Redis. All share two cores, so a busy load generator is capacity the server lacks."""
    def pids(*args) -> list[str]:
        return subprocess.run(["pgrep", *args], capture_output=True, text=True).stdout.split()
    usage = os.times()
    return {"server": cpu_seconds([server.pid, *pids("-P", str(server.pid))]),
            "phones (load generator)": usage.user + usage.system,
            "PostgreSQL": cpu_seconds(pids("-u", "postgres")), "Redis": cpu_seconds(pids("redis-server"))}


def scenarios() -> dict:
    only = {k for k in os.environ.get("BENCH_LIVE", "").split(",") if k}
    results = {}
    pg = postgres_url()
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    for setup in setups():
        if only and setup.key not in only:
            continue
        if setup.scale_out:
            ensure_database(pg)
            results[setup.key] = (setup, scenario(setup, pg, redis))
        else:
            with tempfile.TemporaryDirectory() as tmp:
                results[setup.key] = (setup, scenario(setup, f"sqlite:///{tmp}/bench.sqlite3", None))
    return results


def main() -> None:
    scenarios()


def rows() -> list:
    from bench.table import at_most
    found = []
    for setup, result in scenarios().values():
        found.append(at_most(f"Live propagation p95 per phone, {setup.rounds}×{PHONES} phones, {setup.label} "
                             f"({setup.rounds / setup.spread:.1f} changes a second)", result["p95"] * 1000, "ms",
                             setup.target_ms))
        found.append(at_most(f"Live updates missed, {setup.rounds}×{PHONES} phones, {setup.label}", result["missed"],
                             "phones", 0, shown="0"))
    return found


if __name__ == "__main__":
    sys.exit(main())
