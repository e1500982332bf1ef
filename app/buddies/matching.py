"""Buddy matching: pairs (and at most one trio) from a pool, with the reason for each group.

Pure: no Flask, no database. The service passes plain values in and stores what comes out.

How a grouping is chosen, in order of priority (each tier outweighs everything below it):
1. Hard constraints remove candidate pairs: a private exclusion, a veto for this rotation, a lead
   with someone in a team they lead, anybody paused. Locks are kept as they are.
2. As many people as possible are placed (maximum cardinality). Nobody available is left out
   unless no grouping at all can place them; then they are returned in `unmatched`, never dropped.
3. No pair repeats within the window when any grouping without a repeat exists; a forced repeat
   is the oldest one possible (the penalty fades over the rotations of the window).
4. The trio moves around: who was in a trio recently is the last choice for the next one.
5. Preferences: the experience mix, pairs across teams, colleagues never paired before, then a
   small seeded tie-break, so the same input and seed always give the same grouping.

All weights are integers, so the matching is exact (rustworkx's Blossom, `max_weight_matching`).
Pools above EXACT_LIMIT are solved on a pruned graph that stays matchable: each person's TOP_K
best candidates plus RANDOM_K random ones (a random graph of that degree has a perfect matching
with overwhelming probability), and if anyone is still unmatched their whole row is added back
and, as a last resort, the full graph is solved. See docs/architecture.md for the measurements.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import rustworkx as rx

NEW_YEARS = 2           # fewer years in the field than this: "nieuw"
EXPERIENCED_YEARS = 5   # at least this many: "ervaren"
EXACT_LIMIT = 300       # pools up to this size are solved on the full graph
TOP_K = 4
RANDOM_K = 2
MIRROR_K = 16
TRIO_SEARCH_LIMIT = 40  # up to this many free people the trio is searched exhaustively if needed
TRIO_MEMORY = 12        # rotations a trio place is remembered
PREF_SPAN = 512         # every preference score of one pair lies in [-PREF_SPAN/2, PREF_SPAN/2)


@dataclass(frozen=True)
class Candidate:
    """A person in the pool: years in the field (None: unknown), teams, and teams they lead."""

    id: int
    years: int | None = None
    teams: frozenset[int] = frozenset()
    leads: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Weights:
    """Soft preferences. `mix` and `cross_team` run from 0 (off) to 3 (strong)."""

    mix: int = 2
    cross_team: int = 1
    window: int = 4   # a pair is not repeated within this many rotations


@dataclass(frozen=True)
class Group:
    members: tuple[int, ...]
    # Reason codes, rendered in the reader's language by the feature (app/buddies/reasons.py):
    # ("trio",) ("locked",) ("experience_mix",) ("experience_gap", years) ("cross_team",)
    # ("same_team",) ("never_paired",) ("paired_before", rotations_ago) ("repeat", rotations_ago)
    reasons: tuple[tuple, ...]
    locked: bool = False


@dataclass(frozen=True)
class Result:
    groups: tuple[Group, ...]
    unmatched: tuple[int, ...] = ()          # nobody could be placed with them: shown, never hidden
    dropped_locks: tuple[tuple[int, ...], ...] = ()
    score: int = 0                          # the preference part of the objective (quality figures)
    repeats: int = 0                        # pairs within the window that could not be avoided


@dataclass
class _Problem:
    """The pool as index arrays: weights, what is allowed, and the history per pair."""

    ids: list[int]
    weight: np.ndarray       # int64 n×n: BASE + preference - repeat penalty
    allowed: np.ndarray      # bool n×n
    ago: np.ndarray          # int32 n×n: rotations since last paired (0: never)
    base: int
    window: int
    years: np.ndarray
    shared_team: np.ndarray
    many_teams: bool
    weights: Weights
    trio_penalty: np.ndarray  # int64 per person
    index: dict[int, int] = field(default_factory=dict)

    def pair_weight(self, a: int, b: int) -> int:
        return int(self.weight[a, b])

    def is_repeat(self, a: int, b: int) -> bool:
        return bool(0 < self.ago[a, b] <= self.window)


def _pairs(group: Iterable[int]) -> Iterable[tuple[int, int]]:
    return combinations(group, 2)


def _team_relations(people: Sequence[Candidate]) -> tuple[np.ndarray, np.ndarray]:
    """Who shares a team with whom, and who leads a team the other is in (n×n booleans)."""
    team_ids = sorted({t for p in people for t in p.teams | p.leads})
    col = {t: j for j, t in enumerate(team_ids)}
    if len(team_ids) <= 63:
        # Teams as bits of one integer per person: a bitwise AND per pair.
        member = np.array([sum(1 << col[t] for t in p.teams) for p in people], dtype=np.uint64)
        leads = np.array([sum(1 << col[t] for t in p.leads) for p in people], dtype=np.uint64)
        return (member[:, None] & member[None, :]) != 0, (leads[:, None] & member[None, :]) != 0
    member = np.zeros((len(people), len(team_ids)), dtype=np.float32)
    leads = np.zeros_like(member)
    for i, p in enumerate(people):
        member[i, [col[t] for t in p.teams]] = 1
        leads[i, [col[t] for t in p.leads]] = 1
    return (member @ member.T) > 0, (leads @ member.T) > 0


def _build(people: Sequence[Candidate], forbidden: Iterable[tuple[int, int]], history: Sequence[Sequence[Sequence[int]]],
           weights: Weights, seed: int) -> _Problem:
    ids = [p.id for p in people]
    n = len(ids)
    index = {pid: i for i, pid in enumerate(ids)}
    years = np.array([-1 if p.years is None else max(0, p.years) for p in people], dtype=np.int64)
    shared, lead_block = _team_relations(people)
    allowed = ~(lead_block | lead_block.T)
    np.fill_diagonal(allowed, False)
    pairs = [(index[a], index[b]) for a, b in forbidden if a in index and b in index]
    if pairs:
        fa, fb = np.array(pairs).T
        allowed[fa, fb] = allowed[fb, fa] = False

    ago = np.zeros((n, n), dtype=np.int32)
    times = np.zeros((n, n), dtype=np.int32)
    trio_penalty = np.zeros(n, dtype=np.int64)
    for k, rotation in enumerate(history, start=1):
        for group in rotation:
            idx = [index[m] for m in group if m in index]
            for a, b in _pairs(idx):
                times[a, b] += 1
                times[b, a] += 1
                if ago[a, b] == 0:
                    ago[a, b] = ago[b, a] = k
            if len(group) == 3 and k <= TRIO_MEMORY:
                # Doubling per rotation: one recent trio outweighs any number of older ones.
                for a in idx:
                    trio_penalty[a] += 1 << (TRIO_MEMORY - k)

    # Preferences: at most 180 (mix) + 120 (cross-team) + 3 (tie-break), at least -90 (spread).
    known = years >= 0
    y32 = years.astype(np.int32)
    diff = np.minimum(np.abs(y32[:, None] - y32[None, :]), 15)
    diff[~(known[:, None] & known[None, :])] = 0
    pref = (4 * max(0, min(weights.mix, 3))) * diff
    many_teams = len({t for p in people for t in p.teams}) > 1
    if many_teams and weights.cross_team > 0:
        pref += (40 * min(weights.cross_team, 3)) * (~shared).astype(np.int32)
    pref -= 30 * np.minimum(times, 3)
    # A symmetric tie-break from one seeded number per person (cheaper than an n×n random draw).
    h = np.random.default_rng(seed).integers(0, 2**31, size=n, dtype=np.uint64)
    pref += (((h[:, None] + h[None, :]) * np.uint64(2654435761) >> np.uint64(17)) & np.uint64(3)).astype(np.int32)

    window = max(0, weights.window)
    trio_unit = PREF_SPAN * (n // 2 + 2)
    trio_tier = trio_unit * (1 << (TRIO_MEMORY + 2))   # above two people's whole trio penalty
    repeat_unit = trio_tier + trio_unit
    base = repeat_unit * (window + 1) + PREF_SPAN
    weight = pref.astype(np.int64)
    weight += base
    within = (ago > 0) & (ago <= window)
    if within.any():
        wa, wb = np.nonzero(within)
        weight[wa, wb] -= repeat_unit * (window - ago[wa, wb] + 1).astype(np.int64)
    return _Problem(ids=ids, weight=weight, allowed=allowed, ago=ago, base=base, window=window, years=years,
                    shared_team=shared, many_teams=many_teams, weights=weights,
                    trio_penalty=trio_penalty * trio_unit, index=index)


def _solve_pairs(prob: _Problem, nodes: list[int], *, exact: bool, seed: int, with_dummy: bool) -> list[tuple[int, int]]:
    """Maximum-cardinality, maximum-weight pairs among `nodes` (problem indices).

    With `with_dummy` an extra node joins whom it is matched with to the trio; its edge weight
    says who should be the trio's third (nobody who was in a trio recently)."""
    m = len(nodes)
    if m < 2:
        return []
    sub = np.array(nodes)
    if m == len(prob.ids):
        w, ok = prob.weight, prob.allowed   # the whole pool: no copy
    else:
        w, ok = prob.weight[np.ix_(sub, sub)], prob.allowed[np.ix_(sub, sub)]
    dummy_w = (prob.base - prob.trio_penalty[sub]).tolist() if with_dummy else None

    def solve(edge_mask: np.ndarray) -> set[tuple[int, int]]:
        graph = rx.PyGraph(multigraph=False)
        graph.add_nodes_from(range(m + (1 if with_dummy else 0)))
        a, b = np.nonzero(np.triu(edge_mask, 1))
        graph.add_edges_from(list(zip(a.tolist(), b.tolist(), w[a, b].tolist())))
        if with_dummy:
            graph.add_edges_from([(i, m, dummy_w[i]) for i in range(m)])
        return rx.max_weight_matching(graph, max_cardinality=True, weight_fn=int)

    def covered(matching) -> int:
        return 2 * len(matching)

    target = m + 1 if with_dummy and m % 2 else m
    if exact or m <= EXACT_LIMIT:
        matching = solve(ok)
    else:
        mask = _pruned(w, ok, seed, prob.years[sub])
        matching = solve(mask)
        if covered(matching) < target:
            # Give everyone left out all their candidates, then, if still short, the full graph.
            left = np.ones(m + 1, dtype=bool)
            for x, y in matching:
                left[x] = left[y] = False
            rows = left[:m]
            mask = mask | (ok & (rows[:, None] | rows[None, :]))
            matching = solve(mask)
            if covered(matching) < target:
                matching = solve(ok)
        matching = _two_opt(w, ok, matching, m)
    pairs = []
    for x, y in matching:
        x, y = min(x, y), max(x, y)   # the matching is a set of unordered pairs: one order, always
        pairs.append((int(sub[x]), -1) if with_dummy and y == m else (int(sub[x]), int(sub[y])))
    return sorted(pairs)


def _two_opt(w: np.ndarray, ok: np.ndarray, matching, m: int, rounds: int = 20):
    """Swap partners between two pairs while that gains weight (vectorised over all pairs of
    pairs, disjoint swaps applied together). Recovers most of what pruning lost; it can only
    improve, and a swap that makes a repeat or breaks a hard constraint never gains."""
    pairs = np.array([p for p in matching if max(p) < m], dtype=np.int64).reshape(-1, 2)
    rest = [p for p in matching if max(p) >= m]
    if len(pairs) < 2:
        return matching
    neg = np.iinfo(np.int64).min // 4
    for _ in range(rounds):
        a, b = pairs[:, 0], pairs[:, 1]
        now = w[a, b]
        keep = now[:, None] + now[None, :]
        cross = np.where(ok[a[:, None], a[None, :]] & ok[b[:, None], b[None, :]],
                         w[a[:, None], a[None, :]] + w[b[:, None], b[None, :]] - keep, neg)
        twist = np.where(ok[a[:, None], b[None, :]] & ok[b[:, None], a[None, :]],
                         w[a[:, None], b[None, :]] + w[b[:, None], a[None, :]] - keep, neg)
        gain = np.maximum(cross, twist)
        np.fill_diagonal(gain, neg)
        gain = np.triu(gain, 1) + np.tril(np.full_like(gain, neg))
        p, q = np.nonzero(gain > 0)
        if len(p) == 0:
            break
        used = np.zeros(len(pairs), dtype=bool)
        for i in np.argsort(-gain[p, q], kind="stable"):
            x, y = p[i], q[i]
            if used[x] or used[y]:
                continue
            used[x] = used[y] = True
            ax, bx, ay, by = pairs[x, 0], pairs[x, 1], pairs[y, 0], pairs[y, 1]
            if cross[x, y] >= twist[x, y]:
                pairs[x], pairs[y] = (ax, ay), (bx, by)
            else:
                pairs[x], pairs[y] = (ax, by), (bx, ay)
    return {(int(x), int(y)) for x, y in pairs} | set(rest)


def _pruned(w: np.ndarray, ok: np.ndarray, seed: int, years: np.ndarray) -> np.ndarray:
    """Each person's TOP_K best allowed candidates, RANDOM_K random allowed ones, and the
    MIRROR_K around their mirror place in the experience order (the newest with the most
    experienced: where the experience mix puts the optimum, and what top-k alone misses,
    because everyone's top candidates are the same few veterans)."""
    m = w.shape[0]
    mask = np.zeros_like(ok)
    rows = np.arange(m)[:, None]
    order = np.argsort(years, kind="stable")
    rank = np.empty(m, dtype=np.int64)
    rank[order] = np.arange(m)
    offsets = np.arange(-(MIRROR_K // 2), MIRROR_K - MIRROR_K // 2)
    partner = (rank + m // 2) % m
    mirror = np.clip(partner[:, None] + offsets[None, :], 0, m - 1)
    mask[rows, order[mirror]] = True
    scored = np.where(ok, w, np.iinfo(np.int64).min)
    k = min(TOP_K, m - 1)
    top = np.argpartition(-scored, k - 1, axis=1)[:, :k]
    mask[rows, top] = True
    rng = np.random.default_rng(seed + 1)
    noise = np.where(ok, rng.random((m, m)), -1.0)
    r = min(RANDOM_K, m - 1)
    rand = np.argpartition(-noise, r - 1, axis=1)[:, :r]
    mask[rows, rand] = True
    mask &= ok
    return mask | mask.T


def _attach(prob: _Problem, person: int, pairs: list[tuple[int, ...]], locked: set[tuple[int, ...]]) -> int | None:
    """The index in `pairs` of the best pair for `person` to join as the third, or None."""
    best, best_score = None, None
    for i, group in enumerate(pairs):
        if len(group) != 2 or group in locked:
            continue
        a, b = group
        if not (prob.allowed[person, a] and prob.allowed[person, b]):
            continue
        # The pair joining a trio also counts: who was in a trio recently is the last choice.
        score = (prob.pair_weight(person, a) + prob.pair_weight(person, b)
                 - int(prob.trio_penalty[a]) - int(prob.trio_penalty[b]))
        if best_score is None or score > best_score:
            best, best_score = i, score
    return best


def _repeats(prob: _Problem, groups: Iterable[tuple[int, ...]]) -> int:
    return int(sum(prob.is_repeat(a, b) for g in groups for a, b in _pairs(g)))


def _group_score(prob: _Problem, groups: Iterable[tuple[int, ...]]) -> int:
    return int(sum(prob.pair_weight(a, b) - prob.base for g in groups for a, b in _pairs(g)))


def _group_free(prob: _Problem, free: list[int], *, exact: bool, seed: int,
                trio_allowed: bool) -> tuple[list[tuple[int, ...]], list[int]]:
    """Groups for the free people: pairs, plus one trio when the count is odd (if allowed).

    Small pools try every person as the trio's third (pairs for the rest, then the best pair to
    join); large pools let a dummy node pick the third inside the one matching."""
    odd = len(free) % 2 == 1 and trio_allowed
    if odd and len(free) <= TRIO_SEARCH_LIMIT:
        options = []
        for third in free:
            rest = [x for x in free if x != third]
            groups = _solve_pairs(prob, rest, exact=exact, seed=seed, with_dummy=False)
            options.append(_with_third(prob, groups, rest, [third]))
        groups, left = min(options, key=lambda option: _rank(prob, *option))
    else:
        raw = _solve_pairs(prob, free, exact=exact, seed=seed, with_dummy=odd)
        thirds = [p[0] for p in raw if p[1] == -1]
        groups = [p for p in raw if p[1] != -1]
        groups, left = _with_third(prob, groups, [x for x in free if x not in thirds], thirds) if trio_allowed \
            else (groups, [x for x in free if not any(x in g for g in groups)])
    if trio_allowed and (left or _repeats(prob, groups)) and len(free) % 2 == 1 and len(free) <= TRIO_SEARCH_LIMIT:
        better = _search_trio(prob, free, exact=exact, seed=seed, current=(len(left), _repeats(prob, groups)))
        if better is not None:
            groups, left = better, []
    return groups, left


def _with_third(prob: _Problem, pairs: list[tuple[int, ...]], paired_pool: list[int],
                thirds: list[int]) -> tuple[list[tuple[int, ...]], list[int]]:
    """Let the first person who fits (the chosen third first, then anyone left) join a pair."""
    groups = list(pairs)
    placed = {x for g in groups for x in g}
    left = list(thirds) + [x for x in paired_pool if x not in placed]
    for person in list(left):
        at = _attach(prob, person, groups, set())
        if at is not None:
            groups[at] = tuple(sorted(groups[at] + (person,)))
            left.remove(person)
            break
    return groups, left


def _rank(prob: _Problem, groups: list[tuple[int, ...]], left: list[int]) -> tuple:
    """Smaller is better: fewer left out, fewer repeats, then the weight with the trio's history."""
    trio_history = sum(int(prob.trio_penalty[x]) for g in groups if len(g) == 3 for x in g)
    return len(left), _repeats(prob, groups), trio_history - _group_score(prob, groups), sorted(groups)


def _search_trio(prob: _Problem, free: list[int], *, exact: bool, seed: int,
                 current: tuple[int, int]) -> list[tuple[int, ...]] | None:
    """Try every allowed trio (best first) with the rest in pairs; the first that places everyone
    with fewer repeats than `current` wins (the quick way could not see it)."""
    trios = [t for t in combinations(free, 3) if all(prob.allowed[a, b] for a, b in _pairs(t))]
    trios.sort(key=lambda t: (_repeats(prob, [t]), -_group_score(prob, [t]) + prob.trio_penalty[list(t)].sum()))
    best, best_key = None, current
    for trio in trios:
        if _repeats(prob, [trio]) >= best_key[1] and best is not None:
            break
        rest = [x for x in free if x not in trio]
        pairs = _solve_pairs(prob, rest, exact=exact, seed=seed, with_dummy=False)
        if 2 * len(pairs) < len(rest):
            continue
        key = (0, _repeats(prob, [trio, *pairs]))
        if key < best_key:
            best, best_key = [trio, *pairs], key
            if key[1] == 0:
                break
    return best


def _reasons(prob: _Problem, group: tuple[int, ...], locked: bool) -> tuple[tuple, ...]:
    reasons: list[tuple] = []
    if len(group) == 3:
        reasons.append(("trio",))
    if locked:
        reasons.append(("locked",))
    pairs = list(_pairs(group))
    years = [int(prob.years[i]) for i in group]
    if prob.weights.mix and all(y >= 0 for y in years):
        if max(years) >= EXPERIENCED_YEARS and min(years) < NEW_YEARS:
            reasons.append(("experience_mix",))
        elif max(years) - min(years) >= 3:
            reasons.append(("experience_gap", max(years) - min(years)))
    if prob.many_teams:
        if not any(prob.shared_team[a, b] for a, b in pairs):
            reasons.append(("cross_team",))
        elif prob.weights.cross_team:
            reasons.append(("same_team",))
    agos = [int(prob.ago[a, b]) for a, b in pairs if prob.ago[a, b]]
    if not agos:
        reasons.append(("never_paired",))
    elif min(agos) <= prob.window:
        reasons.append(("repeat", min(agos)))
    else:
        reasons.append(("paired_before", min(agos)))
    return tuple(reasons)


def match(people: Sequence[Candidate], *, forbidden: Iterable[tuple[int, int]] = (), paused: Iterable[int] = (),
          locks: Sequence[Sequence[int]] = (), history: Sequence[Sequence[Sequence[int]]] = (),
          weights: Weights = Weights(), seed: int = 0, exact: bool = False) -> Result:
    """Group the available people for one rotation.

    `history` is the earlier rotations, most recent first, each a list of groups of ids.
    `forbidden` pairs (exclusions, vetoes) are never grouped together; `paused` people are left
    out of the pool; `locks` are groups kept as they are (a lock with an unavailable or forbidden
    member is dropped and reported). `exact` solves large pools on the full graph (benchmarks).
    """
    paused = set(paused)
    pool = sorted({p.id: p for p in people if p.id not in paused}.values(), key=lambda p: p.id)
    prob = _build(pool, forbidden, history, weights, seed)
    kept, dropped, taken = [], [], set()
    trio_locked = False
    for lock in locks:
        members = tuple(sorted(set(lock)))
        idx = [prob.index.get(m) for m in members]
        usable = (2 <= len(members) <= 3 and None not in idx and not taken & set(idx)
                  and all(prob.allowed[a, b] for a, b in _pairs(idx)) and not (len(idx) == 3 and trio_locked))
        if not usable:
            dropped.append(members)
            continue
        kept.append(tuple(idx))
        taken |= set(idx)
        trio_locked = trio_locked or len(idx) == 3
    free = [i for i in range(len(pool)) if i not in taken]
    if trio_locked and len(free) % 2 == 1:
        # A second trio is never made: the locked trio gives up its third (its weakest link).
        trio = next(g for g in kept if len(g) == 3)
        pair = max(_pairs(trio), key=lambda ab: prob.pair_weight(*ab))
        kept[kept.index(trio)] = tuple(pair)
        free.append(next(x for x in trio if x not in pair))
        dropped.append(tuple(sorted(prob.ids[x] for x in trio)))
        trio_locked = False
    groups, left = _group_free(prob, sorted(free), exact=exact, seed=seed, trio_allowed=not trio_locked)
    result_groups = [Group(tuple(sorted(prob.ids[i] for i in g)), _reasons(prob, g, True), True) for g in kept]
    result_groups += [Group(tuple(sorted(prob.ids[i] for i in g)), _reasons(prob, g, False)) for g in groups]
    result_groups.sort(key=lambda g: g.members)
    every = [*kept, *groups]
    return Result(groups=tuple(result_groups), unmatched=tuple(sorted(prob.ids[i] for i in left)),
                  dropped_locks=tuple(dropped), score=_group_score(prob, every), repeats=_repeats(prob, every))
