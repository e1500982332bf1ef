"""The phase machine of a live round: pure state transitions, no Flask and no database."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.intervisie.phases import (
    FACILITATOR, FINISHED, LIVE, PARTICIPANT, PLANNED, PRESENTER, SPOKEN, VOTE, WRITE, WRITE_SILENT,
    NotAllowed, Phase, PhaseConflict, State, advance, can_post, ends_at, extend, go_back, reveal, start,
    time_left, total_minutes, visible,
)

T0 = datetime(2024, 3, 4, 14, 0, 0)
GROUP = frozenset({FACILITATOR, PARTICIPANT})
ALL = frozenset({FACILITATOR, PRESENTER, PARTICIPANT})

PHASES = [
    Phase("pitch", 3),
    Phase("silent_questions", 5, WRITE_SILENT, writers=GROUP, item_kind="question"),
    Phase("clarify", 15, WRITE, writers=GROUP, item_kind="question"),
    Phase("advice", 10, WRITE, writers=GROUP, silent=frozenset({PRESENTER}), item_kind="advice"),
]


def live_at(index: int, *, started: datetime = T0, extra: int = 0) -> State:
    return State(status=LIVE, index=index, started_at=started, extra_seconds=extra)


# --- start -------------------------------------------------------------------------------------

def test_start_goes_live_at_the_first_phase():
    state = start(State(), T0)
    assert (state.status, state.index, state.started_at, state.extra_seconds) == (LIVE, 0, T0, 0)


def test_start_expects_minus_one_by_default_and_refuses_another_index():
    assert start(State(), T0, expected=-1).index == 0
    with pytest.raises(PhaseConflict):
        start(State(), T0, expected=0)


@pytest.mark.parametrize("status", [LIVE, FINISHED])
def test_start_only_from_planned(status):
    with pytest.raises(PhaseConflict):
        start(State(status=status, index=-1), T0)


def test_starting_twice_is_refused():
    state = start(State(), T0)
    with pytest.raises(PhaseConflict):
        start(state, T0 + timedelta(seconds=1))


# --- advance -----------------------------------------------------------------------------------

def test_advance_moves_exactly_one_phase_and_restarts_the_clock():
    later = T0 + timedelta(minutes=4)
    state = advance(live_at(0, extra=120), PHASES, 0, later)
    assert (state.status, state.index, state.started_at, state.extra_seconds) == (LIVE, 1, later, 0)


def test_advance_past_the_last_phase_finishes_the_round():
    last = len(PHASES) - 1
    later = T0 + timedelta(minutes=10)
    state = advance(live_at(last), PHASES, last, later)
    assert state.status == FINISHED
    assert state.index == last


def test_advance_walks_through_every_phase_then_finishes():
    state = start(State(), T0)
    seen = [state.index]
    while state.status == LIVE:
        state = advance(state, PHASES, state.index, T0)
        if state.status == LIVE:
            seen.append(state.index)
    assert seen == list(range(len(PHASES)))
    assert state.status == FINISHED


@pytest.mark.parametrize("state", [State(), State(status=FINISHED, index=3)])
def test_advance_only_when_live(state):
    with pytest.raises(PhaseConflict):
        advance(state, PHASES, state.index, T0)


# --- the guard on `expected` -------------------------------------------------------------------

def test_two_presses_of_next_with_the_same_expected_move_one_phase():
    state = live_at(1)
    first = advance(state, PHASES, 1, T0)
    with pytest.raises(PhaseConflict):
        advance(first, PHASES, 1, T0)
    assert first.index == 2


def test_advance_with_a_stale_expected_is_refused():
    with pytest.raises(PhaseConflict):
        advance(live_at(2), PHASES, 1, T0)


def test_go_back_with_a_stale_expected_is_refused():
    with pytest.raises(PhaseConflict):
        go_back(live_at(2), 3, T0)


def test_extend_with_a_stale_expected_is_refused():
    with pytest.raises(PhaseConflict):
        extend(live_at(2), 1, 5)


def test_reveal_with_a_stale_expected_is_refused():
    with pytest.raises(PhaseConflict):
        reveal(live_at(1), PHASES, 0)


def test_the_guard_leaves_the_state_unchanged():
    state = live_at(1, extra=60)
    with pytest.raises(PhaseConflict):
        advance(state, PHASES, 0, T0 + timedelta(minutes=1))
    assert state == live_at(1, extra=60)


# --- go_back -----------------------------------------------------------------------------------

def test_go_back_moves_one_phase_back_and_restarts_the_clock():
    later = T0 + timedelta(minutes=2)
    state = go_back(live_at(2, extra=300), 2, later)
    assert (state.status, state.index, state.started_at, state.extra_seconds) == (LIVE, 1, later, 0)


def test_go_back_not_before_the_first_phase():
    with pytest.raises(PhaseConflict):
        go_back(live_at(0), 0, T0)


def test_go_back_only_when_live_or_just_finished():
    with pytest.raises(PhaseConflict):
        go_back(State(status=PLANNED, index=-1), -1, T0)
    # Back from the end (undo "Rond af"): into the last phase, with its time from now.
    state = go_back(State(status=FINISHED, index=2, extra_seconds=60), 2, T0)
    assert (state.status, state.index, state.started_at, state.extra_seconds) == (LIVE, 2, T0, 0)
    with pytest.raises(PhaseConflict):
        go_back(State(status=FINISHED, index=2), 1, T0)  # the guard still holds


# --- extend ------------------------------------------------------------------------------------

def test_extend_adds_to_the_time_left():
    state = live_at(0)
    now = T0 + timedelta(minutes=1)
    before = time_left(state, PHASES, now)
    longer = extend(state, 0, 5)
    assert longer.extra_seconds == 300
    assert time_left(longer, PHASES, now) == before + timedelta(minutes=5)


def test_extending_twice_adds_up():
    state = extend(extend(live_at(0), 0, 2), 0, 3)
    assert state.extra_seconds == 300
    assert ends_at(state, PHASES) == T0 + timedelta(minutes=3 + 5)


@pytest.mark.parametrize("minutes", [1, 30])
def test_extend_accepts_one_to_thirty_minutes(minutes):
    assert extend(live_at(0), 0, minutes).extra_seconds == minutes * 60


@pytest.mark.parametrize("minutes", [0, -1, 31, 120])
def test_extend_refuses_other_amounts(minutes):
    with pytest.raises(ValueError):
        extend(live_at(0), 0, minutes)


def test_extend_only_when_live():
    with pytest.raises(PhaseConflict):
        extend(State(), -1, 5)


def test_advancing_drops_the_added_time():
    state = advance(extend(live_at(0), 0, 10), PHASES, 0, T0)
    assert state.extra_seconds == 0


# --- time_left and ends_at ---------------------------------------------------------------------

def test_ends_at_is_the_start_plus_the_phase_minutes():
    assert ends_at(live_at(2), PHASES) == T0 + timedelta(minutes=15)


def test_time_left_counts_down():
    assert time_left(live_at(0), PHASES, T0) == timedelta(minutes=3)
    assert time_left(live_at(0), PHASES, T0 + timedelta(minutes=1)) == timedelta(minutes=2)


def test_time_left_goes_negative_once_the_time_is_up():
    left = time_left(live_at(0), PHASES, T0 + timedelta(minutes=5))
    assert left == timedelta(minutes=-2)
    assert left < timedelta(0)


def test_the_round_never_moves_on_by_itself():
    state = live_at(0)
    time_left(state, PHASES, T0 + timedelta(hours=1))
    assert state.index == 0 and state.status == LIVE


@pytest.mark.parametrize("state", [State(), State(status=FINISHED, index=3, started_at=T0),
                                   State(status=LIVE, index=0, started_at=None)])
def test_no_clock_when_not_live(state):
    assert ends_at(state, PHASES) is None
    assert time_left(state, PHASES, T0) is None


# --- reveal ------------------------------------------------------------------------------------

def test_reveal_marks_the_current_silent_phase_as_revealed():
    state = reveal(live_at(1), PHASES, 1)
    assert state.revealed == frozenset({1})
    assert state.index == 1 and state.status == LIVE


def test_reveal_keeps_earlier_reveals():
    state = State(status=LIVE, index=1, started_at=T0, revealed=frozenset({5}))
    assert reveal(state, PHASES, 1).revealed == frozenset({1, 5})


@pytest.mark.parametrize("index", [0, 2, 3])
def test_reveal_only_in_silent_writing_phases(index):
    with pytest.raises(NotAllowed):
        reveal(live_at(index), PHASES, index)


# --- can_post ----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [FACILITATOR, PRESENTER, PARTICIPANT])
def test_nobody_types_in_a_spoken_phase(role):
    assert not can_post(Phase("talk", 5, SPOKEN, writers=ALL), role)


def test_only_writers_may_post():
    phase = Phase("clarify", 15, WRITE, writers=GROUP)
    assert can_post(phase, PARTICIPANT)
    assert can_post(phase, FACILITATOR)
    assert not can_post(phase, PRESENTER)


def test_silent_roles_never_post_even_when_listed_as_writers():
    advice = Phase("advice", 10, WRITE, writers=ALL, silent=frozenset({PRESENTER}), item_kind="advice")
    assert not can_post(advice, PRESENTER)
    assert not can_post(advice, PRESENTER, own_items=0)
    assert can_post(advice, PARTICIPANT)


def test_the_presenter_cannot_post_in_the_advice_phase():
    assert not can_post(PHASES[3], PRESENTER)


def test_max_items_per_person():
    phase = Phase("open_questions", 15, WRITE, writers=GROUP, max_items=3)
    assert can_post(phase, PARTICIPANT, own_items=0)
    assert can_post(phase, PARTICIPANT, own_items=2)
    assert not can_post(phase, PARTICIPANT, own_items=3)
    assert not can_post(phase, PARTICIPANT, own_items=4)


def test_without_max_items_there_is_no_limit():
    assert can_post(Phase("clarify", 15, WRITE, writers=GROUP), PARTICIPANT, own_items=100)


def test_max_items_also_holds_in_silent_writing():
    phase = Phase("silent", 5, WRITE_SILENT, writers=GROUP, max_items=1)
    assert can_post(phase, PARTICIPANT, own_items=0)
    assert not can_post(phase, PARTICIPANT, own_items=1)


def test_a_vote_is_given_once():
    phase = Phase("vote", 2, VOTE, writers=ALL)
    assert can_post(phase, PRESENTER, own_items=0)
    assert not can_post(phase, PRESENTER, own_items=1)
    assert not can_post(phase, PARTICIPANT, own_items=2)


def test_a_vote_is_once_even_if_max_items_says_more():
    phase = Phase("vote", 2, VOTE, writers=ALL, max_items=3)
    assert not can_post(phase, PARTICIPANT, own_items=1)


# --- visible -----------------------------------------------------------------------------------

AUTHOR, OTHER = 1, 2


def test_silent_items_are_visible_only_to_their_author_until_revealed():
    silent = PHASES[1]
    state = live_at(1)
    assert visible(1, silent, state, author_id=AUTHOR, viewer_id=AUTHOR)
    assert not visible(1, silent, state, author_id=AUTHOR, viewer_id=OTHER)


def test_silent_items_are_visible_to_everyone_after_the_reveal():
    state = reveal(live_at(1), PHASES, 1)
    assert visible(1, PHASES[1], state, author_id=AUTHOR, viewer_id=OTHER)
    assert visible(1, PHASES[1], state, author_id=AUTHOR, viewer_id=AUTHOR)


def test_revealing_another_phase_does_not_show_these_items():
    state = State(status=LIVE, index=1, started_at=T0, revealed=frozenset({4}))
    assert not visible(1, PHASES[1], state, author_id=AUTHOR, viewer_id=OTHER)


def test_silent_items_stay_revealed_after_moving_on():
    state = advance(reveal(live_at(1), PHASES, 1), PHASES, 1, T0)
    assert visible(1, PHASES[1], state, author_id=AUTHOR, viewer_id=OTHER)


def test_items_in_open_phases_are_visible_to_everyone():
    state = live_at(2)
    assert visible(2, PHASES[2], state, author_id=AUTHOR, viewer_id=OTHER)
    assert visible(3, PHASES[3], state, author_id=AUTHOR, viewer_id=OTHER)


# --- total_minutes -----------------------------------------------------------------------------

def test_total_minutes_adds_the_phases():
    assert total_minutes(PHASES) == 3 + 5 + 15 + 10
    assert total_minutes([]) == 0


def test_a_fresh_state_is_planned_before_the_first_phase():
    state = State()
    assert (state.status, state.index, state.started_at, state.extra_seconds, state.revealed) == (
        PLANNED, -1, None, 0, frozenset())
