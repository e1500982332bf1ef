"""The live state fragment, rendered once per round version and role for the phones that share it.

After every change each phone of a round fetches the fragment. Most phones see exactly the same
HTML as every other phone with their role: the same phase, timer, items and buttons. Only these
make a phone's fragment its own, and such a phone gets its own render as before:
- an item of theirs that others do not see (hidden by the facilitator, or written in silence and
  not yet revealed);
- their own open actions from the last round (shown at the start);
- how many items they wrote in this phase (it decides whether they may post another);
- their own case ideas while the group chooses who brings in, and the facilitator's short
  "take back the finish" after the last phase.
What differs per request but not per person (the CSRF token of the session, the server's clock)
is rendered as a placeholder and filled in on the way out.

The cache lives in the process (one per app), keyed by (round, version, role, case, second left
on the timer, own items in this phase, language) and bounded (least recently used out), so it
needs no invalidation: a change makes a new version, and old keys simply age out.

After a change, the streams of a round in this process share one plan (`plan`): one check of
their sign-in sessions, one load of the round, and each phone's verdict (no longer allowed, its
own state, or the shared key); each stream then sends its phone the shared render.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cached_property

from flask import current_app
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from jinja2_fragments.flask import render_block
from sqlalchemy import select

from app.intervisie import live_round, methods, phases, services
from app.intervisie.models import Contribution, Round

CSRF_PLACEHOLDER = "\x00csrf\x00"
NOW_PLACEHOLDER = "\x00now\x00"


class _Now:
    """Stands in for `now()` in the template: its isoformat() is the placeholder."""

    def isoformat(self) -> str:
        return NOW_PLACEHOLDER


class Unshared:
    """What a render returns when its result is only its caller's: given back, never cached."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value


def own(render: Callable):
    made = render()
    return made.value if isinstance(made, Unshared) else made


class FragmentCache:
    """A small thread-safe LRU of rendered fragments (or other values made once per round
    version), rendering each key once at a time.

    After a change every phone of a round asks at the same moment, so most ask for a key that is
    being rendered right then; they wait for that render (`get_or_render`) instead of each doing
    their own, which made one change cost a render per phone.
    """

    WAIT = 2.0  # a render that takes longer than this (it failed, or the process is overloaded): render too

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._rendering: dict = {}  # key -> threading.Event set when its render is in
        self.hits = self.misses = self.waits = 0

    def get_or_render(self, key, render: Callable, alone: Callable | None = None):
        """The value under `key`, rendered by this caller when nobody is rendering it; a caller
        that waited in vain (the render failed, was not for sharing, or took too long) makes its
        own with `alone` (default: `render`). A render that returns `Unshared` is given to its
        caller only."""
        with self._lock:
            html = self._items.get(key)
            if html is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return html
            busy = self._rendering.get(key)
            if busy is None:
                busy = self._rendering[key] = threading.Event()
                mine = True
                self.misses += 1
            else:
                mine = False
                self.waits += 1
        if not mine:
            busy.wait(self.WAIT)
            found = self.get(key)
            return found if found is not None else own(alone or render)
        try:
            made = render()
            if isinstance(made, Unshared):
                return made.value
            self.put(key, made)
            return made
        finally:
            with self._lock:
                self._rendering.pop(key, None)
            busy.set()

    def get(self, key):
        with self._lock:
            html = self._items.get(key)
            if html is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return html

    def put(self, key, html: str) -> None:
        with self._lock:
            self._items[key] = html
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class Caches:
    """The live round's caches of one app (so a second app, as in the tests, starts empty)."""

    def __init__(self) -> None:
        self.fragments = FragmentCache()
        # Who wrote what in a round, per round version: (round id, version) -> {author id: ((phase,
        # hidden), ...)}. Every change to a round's items makes a new version, so an entry never goes
        # stale; each phone of the round then decides whether its fragment is shared without a query.
        self.authored = FragmentCache(size=256)
        # What each stream of a round in this process sends after a change: (round id, version) -> plan.
        self.plans = FragmentCache(size=256)


def caches() -> Caches:
    found = current_app.extensions.get("intervisie.live_caches")
    if found is None:
        found = current_app.extensions.setdefault("intervisie.live_caches", Caches())
    return found


def own_items(session, rnd, person_id: int) -> tuple[tuple[int, bool], ...]:
    """This person's items in the round (phase, hidden), read once per round version."""
    by_author = caches().authored.get_or_render((rnd.id, rnd.version), lambda: items_by_author(session, rnd.id))
    return by_author.get(person_id, ())


def items_by_author(session, round_id: int) -> dict[int, tuple[tuple[int, bool], ...]]:
    found: dict[int, list] = {}
    for author_id, phase_index, hidden in session.execute(
            select(Contribution.author_id, Contribution.phase_index, Contribution.hidden)
            .where(Contribution.round_id == round_id, Contribution.author_id.is_not(None))):
        found.setdefault(author_id, []).append((phase_index, hidden))
    return {author: tuple(items) for author, items in found.items()}


def chooses_idea(session, acc: services.Access) -> bool:
    """While the group chooses who brings in, each participant sees their own case ideas."""
    rnd = acc.round
    return (rnd.status == phases.PLANNED and acc.role != phases.FACILITATOR
            and services.presenter_id(session, rnd) is None)


class RoundFacts:
    """What the shared-key decision reads about a round beyond the round itself, read once for
    all the phones of a plan: the case row, and each person's open actions from their previous
    round (one query for everyone the plan covers)."""

    def __init__(self, session, rnd: Round, people=()) -> None:
        self._session, self._round, self._people = session, rnd, set(people)
        self._previous: dict[int, int] | None = None
        self._open: dict[int, bool] = {}
        self._look_back: dict[int, list] = {}

    @cached_property
    def case(self):
        # Only whose it is: the key needs no texts (a render that shows them reads them itself).
        return services.round_case(self._session, self._round, texts=False)

    def open_actions(self, person_id: int) -> list:
        """One person's look back (services.open_actions_before), asked once: the decision and
        then that phone's own render both need it."""
        if person_id not in self._look_back:
            self._look_back[person_id] = services.open_actions_before(self._session, self._round, person_id)
        return self._look_back[person_id]

    def has_open_actions(self, person_id: int) -> bool:
        if person_id not in self._people:  # not one the plan covers: asked on its own
            return bool(self.open_actions(person_id))
        if self._previous is None:
            self._previous = services.previous_rounds(self._session, self._round, self._people)
        previous = self._previous.get(person_id)
        if previous is None:
            return False
        if previous not in self._open:
            self._open[previous] = bool(services.open_actions_of(self._session, previous))
        return self._open[previous]


def shared_key(session, acc: services.Access, now, facts: RoundFacts | None = None) -> tuple | None:
    """The key under which this phone's fragment is shared (the language aside: `filled` adds
    the phone's), or None when it is its own."""
    rnd = acc.round
    me = acc.me.person_id
    if chooses_idea(session, acc):
        return None  # their own case ideas
    if rnd.status == phases.FINISHED and acc.role == phases.FACILITATOR:
        return None  # "Rond af" can be taken back for a short while: the facilitator's own clock
    method = methods.get(rnd.method_key)
    plist = method.phases(rnd.minutes)
    state = live_round.state_of(rnd)
    own = own_items(session, rnd, me)
    for phase_index, hidden in own:
        if hidden or not phases.visible(phase_index, plist[phase_index], state, author_id=me, viewer_id=-1):
            return None
    facts = facts or RoundFacts(session, rnd)
    if rnd.phase_index <= 0 and facts.has_open_actions(me):
        return None
    case = services.visible_case(session, acc, now, lambda: facts.case)
    left = phases.time_left(state, plist, now)
    in_phase = sum(1 for phase_index, _ in own if phase_index == rnd.phase_index)
    return (rnd.id, rnd.version, acc.role, case.round_id if case else None,
            int(left.total_seconds()) if left is not None else None, in_phase)


def state_html(session, acc: services.Access, now, context: Callable[[RoundFacts], dict]) -> str:
    """The "state" block of intervisie/live.html for this phone: shared when it can be, filled in
    with its token and the clock. `context(facts)` builds the render's context; it may reuse
    what the decision read (the case, the look back)."""
    facts = RoundFacts(session, acc.round)
    key = shared_key(session, acc, now, facts)
    if key is None:
        return render_block("intervisie/live.html", "state", **context(facts))
    return filled(session, key, now, lambda: context(facts))


def filled(session, key: tuple, now, context: Callable[[], dict]) -> str:
    """The shared render under `key` in this phone's language, with its own CSRF token and the
    server's clock filled in; rendered from `context()` when no phone asked for it yet.

    The render reads the state afresh, from this phone's point of view, while the key was
    decided a moment earlier (for a stream, in the plan). If the round changed in between, the
    render may hold something of this phone's own (an item it just wrote in silence), so it is
    kept for the shared key only when the round is still at the key's version after the render;
    otherwise this phone alone gets it."""
    def render():
        html = render_block("intervisie/live.html", "state", **context(),
                            csrf_token=lambda: CSRF_PLACEHOLDER, now=_Now)
        round_id, version = key[0], key[1]
        return html if services.current_version(session, round_id) == version else Unshared(html)
    html = caches().fragments.get_or_render(key + (str(get_locale() or "nl"),), render)
    return html.replace(CSRF_PLACEHOLDER, generate_csrf()).replace(NOW_PLACEHOLDER, now.isoformat())


# After a change ---------------------------------------------------------------------------------

OWN = "own"  # a plan's word for a phone whose state is its own: it fetches it


def plan(session, round_id: int, streams, signed_in: set[int], now) -> dict:
    """For each stream of this process on the round, (sign-in session id, person id), what its
    phone gets after a change: None when it may no longer follow (its session is not in
    `signed_in`, or the person has no seat), OWN when the state is the phone's own, else the
    shared key. One load of the round for all of them: after a change every phone of the round
    is told at once, and each asking on its own cost a sign-in check and a load of the round
    per phone."""
    rnd = services.load_round(session, round_id)
    facts = RoundFacts(session, rnd, {person_id for _, person_id in streams}) if rnd is not None else None
    verdicts = {}
    for session_id, person_id in streams:
        me = services.participant(session, round_id, person_id) if rnd is not None and session_id in signed_in else None
        if me is None:
            verdicts[session_id, person_id] = None
            continue
        key = None if rnd.cancelled_at else shared_key(session, services.Access(rnd, me, session, None), now, facts)
        verdicts[session_id, person_id] = OWN if key is None else key  # a cancelled round: the fetch says so
    return verdicts
