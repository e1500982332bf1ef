"""Buddy matching: time and quality against the exact optimum, at 50, 200, 1,000 and 2,000 people.

A realistic pool: teams of about 12 with one lead each (never paired with their own team),
experience from 0 to 25 years (some unknown), 2% of all pairs privately excluded, about 4% of the
people paused, and six earlier rotations of history made by the same algorithm. The timed call
is the seventh rotation. Quality is the preference part of the objective (experience mix,
cross-team, spread; the constant per pair left out) against the exact optimum on the full graph,
with the repeats and the people left out compared as well.
`BENCH_MATCHING_SIZES=50,200` picks the sizes.
"""
from __future__ import annotations

import os
import random
import time

from app.buddies.matching import EXACT_LIMIT, Candidate, Weights, match

SIZES = [int(s) for s in os.environ.get("BENCH_MATCHING_SIZES", "50,200,1000,2000").split(",")]
HISTORY = 6


def pool(n: int, seed: int = 7):
    """People, excluded pairs and paused people for a pool of n in teams of about 12."""
    rng = random.Random(seed)
    teams = max(1, n // 12)
    people = []
    for i in range(n):
        team = i % teams
        years = None if rng.random() < 0.1 else min(25, int(rng.expovariate(1 / 6)))
        leads = frozenset({team}) if i < teams else frozenset()
        people.append(Candidate(i, years, frozenset({team}), leads))
    pairs = n * (n - 1) // 2
    forbidden = {tuple(sorted(rng.sample(range(n), 2))) for _ in range(pairs * 2 // 100)}
    paused = set(rng.sample(range(n), n * 4 // 100))
    return people, forbidden, paused


def run(n: int) -> dict:
    people, forbidden, paused = pool(n)
    weights = Weights(mix=2, cross_team=1, window=4)
    history: list = []
    for r in range(HISTORY):
        rotation = match(people, forbidden=forbidden, history=history, weights=weights, seed=r)
        history.insert(0, [g.members for g in rotation.groups])
    seconds = float("inf")
    for _ in range(3):   # the best of three: the machine is shared, the algorithm is not random
        start = time.perf_counter()
        fast = match(people, forbidden=forbidden, paused=paused, history=history, weights=weights, seed=HISTORY)
        seconds = min(seconds, time.perf_counter() - start)
    start = time.perf_counter()
    exact = match(people, forbidden=forbidden, paused=paused, history=history, weights=weights, seed=HISTORY,
                  exact=True)
    exact_seconds = time.perf_counter() - start
    return {"n": n, "seconds": seconds, "exact_seconds": exact_seconds, "quality": fast.score / exact.score,
            "repeats": (fast.repeats, exact.repeats), "left_out": (len(fast.unmatched), len(exact.unmatched)),
            "trios": sum(len(g.members) == 3 for g in fast.groups), "pruned": n - len(paused) > EXACT_LIMIT}


def main() -> None:
    print("\n== buddy matching (7th rotation, best of 3; quality = preference weight / exact optimum)")
    print(f"   load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'people':>7} {'method':>7} {'time':>8} {'exact':>8} {'quality':>8} {'repeats':>8} {'left out':>9} {'trios':>6}")
    for n in SIZES:
        row = run(n)
        method = "pruned" if row["pruned"] else "exact"
        print(f"{row['n']:>7} {method:>7} {row['seconds']:>7.3f}s {row['exact_seconds']:>7.2f}s "
              f"{row['quality']:>8.2%} {'%d/%d' % row['repeats']:>8} {'%d/%d' % row['left_out']:>9} {row['trios']:>6}",
              flush=True)


def rows() -> list:
    from bench.table import Row, at_least, at_most
    found = []
    for n in SIZES:
        row = run(n)
        method = "pruned" if row["pruned"] else "exact"
        print(f"{n:>7} {method:>7} {row['seconds']:>7.3f}s quality {row['quality']:.2%}", flush=True)
        timing = f"Buddy matching time, {n:,} people ({method}, best of 3)"
        quality = f"Buddy matching quality, {n:,} people (weight / exact optimum)"
        if n == 1000:  # the target: 1,000 people within 1 s at 99.5% of the optimum
            found.append(at_most(timing, row["seconds"], "s", 1.0))
            found.append(at_least(quality, row["quality"] * 100, "%", 99.5))
        else:
            found += [Row(timing, row["seconds"], "s"), Row(quality, row["quality"] * 100, "%")]
    return found


if __name__ == "__main__":
    main()
