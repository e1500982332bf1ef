"""The phase machine of a live round. Pure: no Flask, no database.

A round is a list of phases. The state says which phase is current, since when, how much time
was added, and which silently written phases have been revealed. Every change names the phase
the person saw (`expected`), so two people pressing "next" at once move the round one phase:
the second press no longer matches and is refused. The service applies the same guard in its
UPDATE, so it holds across server processes too.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

# Roles in a round.
FACILITATOR = "facilitator"   # gespreksleider
PRESENTER = "presenter"       # inbrenger
PARTICIPANT = "participant"   # deelnemer
ROLES = (FACILITATOR, PRESENTER, PARTICIPANT)

# How input is given in a phase.
SPOKEN = "spoken"             # talk; nothing is typed
WRITE = "write"               # typed items appear for everyone at once
WRITE_SILENT = "write_silent"  # typed items stay hidden until the facilitator reveals them
VOTE = "vote"                 # one answer per person
INPUT_MODES = (SPOKEN, WRITE, WRITE_SILENT, VOTE)

PLANNED, LIVE, FINISHED = "planned", "live", "finished"


class PhaseConflict(Exception):
    """The round is no longer where the person thought it was (someone else moved it)."""


class NotAllowed(Exception):
    """This role may not do this in this phase."""


@dataclass(frozen=True)
class Phase:
    key: str
    minutes: int
    input_mode: str = SPOKEN
    # Who may type in this phase (only meaningful for WRITE, WRITE_SILENT and VOTE).
    writers: frozenset = frozenset()
    # Who listens only: e.g. the presenter during advice and gossip.
    silent: frozenset = frozenset()
    item_kind: str | None = None  # "question", "advice", ... for typed items
    max_items: int | None = None  # per person, e.g. "up to three open questions each"


@dataclass(frozen=True)
class State:
    status: str = PLANNED
    index: int = -1               # current phase; -1 before the start
    started_at: datetime | None = None  # when the current phase started
    extra_seconds: int = 0        # time the facilitator added to the current phase
    revealed: frozenset = field(default_factory=frozenset)


def _check(state: State, expected: int) -> None:
    if state.index != expected:
        raise PhaseConflict(f"round is at phase {state.index}, not {expected}")


def start(state: State, now: datetime, *, expected: int = -1) -> State:
    if state.status != PLANNED:
        raise PhaseConflict("round already started")
    _check(state, expected)
    return replace(state, status=LIVE, index=0, started_at=now, extra_seconds=0)


def advance(state: State, phases: list[Phase], expected: int, now: datetime) -> State:
    """The next phase, or the end of the round after the last one."""
    if state.status != LIVE:
        raise PhaseConflict("round is not live")
    _check(state, expected)
    if state.index + 1 >= len(phases):
        return replace(state, status=FINISHED, started_at=now, extra_seconds=0)
    return replace(state, index=state.index + 1, started_at=now, extra_seconds=0)


def go_back(state: State, expected: int, now: datetime) -> State:
    """The previous phase; from a finished round, back into its last phase (undo "Rond af")."""
    if state.status == FINISHED:
        _check(state, expected)
        return replace(state, status=LIVE, started_at=now, extra_seconds=0)
    if state.status != LIVE:
        raise PhaseConflict("round is not live")
    _check(state, expected)
    if state.index == 0:
        raise PhaseConflict("already at the first phase")
    return replace(state, index=state.index - 1, started_at=now, extra_seconds=0)


def extend(state: State, expected: int, minutes: int) -> State:
    if state.status != LIVE:
        raise PhaseConflict("round is not live")
    _check(state, expected)
    if not 1 <= minutes <= 30:
        raise ValueError("extend by 1 to 30 minutes")
    return replace(state, extra_seconds=state.extra_seconds + minutes * 60)


def reveal(state: State, phases: list[Phase], expected: int) -> State:
    """Show what was written in silence in this phase."""
    _check(state, expected)
    if phases[state.index].input_mode != WRITE_SILENT:
        raise NotAllowed("nothing to reveal in this phase")
    return replace(state, revealed=state.revealed | {state.index})


def ends_at(state: State, phases: list[Phase]) -> datetime | None:
    if state.status != LIVE or state.started_at is None:
        return None
    return state.started_at + timedelta(minutes=phases[state.index].minutes, seconds=state.extra_seconds)


def time_left(state: State, phases: list[Phase], now: datetime) -> timedelta | None:
    """Negative once the time is up: the facilitator gets a prompt, the round never jumps."""
    end = ends_at(state, phases)
    return None if end is None else end - now


def can_post(phase: Phase, role: str, *, own_items: int = 0) -> bool:
    """Whether this role may type an item in this phase right now."""
    if phase.input_mode == SPOKEN or role not in phase.writers or role in phase.silent:
        return False
    if phase.input_mode == VOTE:
        return own_items == 0
    return phase.max_items is None or own_items < phase.max_items


def visible(phase_index: int, phase: Phase, state: State, *, author_id: int, viewer_id: int) -> bool:
    """Items written in silence stay with their author until the facilitator reveals them."""
    if phase.input_mode != WRITE_SILENT or author_id == viewer_id:
        return True
    return phase_index in state.revealed


def total_minutes(phases: list[Phase]) -> int:
    return sum(p.minutes for p in phases)
