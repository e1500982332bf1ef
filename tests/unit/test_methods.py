"""The intervision methods that ship with Leerkring: their phases, timings and role texts."""
from __future__ import annotations

import pytest

from app.intervisie.methods import DEFAULT, INCIDENT, METHODS, get
from app.intervisie.phases import INPUT_MODES, PRESENTER, ROLES, SPOKEN, can_post

ALL_STEPS = [(m.key, i, s) for m in METHODS.values() for i, s in enumerate(m.steps)]
STEP_IDS = [f"{key}-{i}-{s.phase.key}" for key, i, s in ALL_STEPS]


@pytest.fixture(scope="module")
def app_context(tmp_path_factory):
    """Lazy strings are rendered inside an app, as they are in a request."""
    from conftest import app_config

    from app import create_app
    app = create_app(app_config(tmp_path_factory.mktemp("methods")))
    with app.app_context():
        yield app


def test_the_six_methods_ship():
    assert set(METHODS) == {"incident", "roddel", "vijf_stappen", "balint", "reflecterend_team", "tien_stappen"}
    assert DEFAULT == "incident"
    assert get("incident") is INCIDENT
    assert get("nope") is None


@pytest.mark.parametrize("method", METHODS.values(), ids=list(METHODS))
def test_every_method_has_phases_with_positive_minutes(method):
    phases = method.phases()
    assert phases
    assert all(isinstance(p.minutes, int) and p.minutes > 0 for p in phases)
    assert method.default_minutes() == [p.minutes for p in phases]


@pytest.mark.parametrize("method", METHODS.values(), ids=list(METHODS))
def test_phase_keys_are_unique_within_a_method(method):
    keys = [s.phase.key for s in method.steps]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("method", METHODS.values(), ids=list(METHODS))
def test_every_phase_has_a_known_input_mode(method):
    for step in method.steps:
        assert step.phase.input_mode in INPUT_MODES
        if step.phase.input_mode != SPOKEN:
            assert step.phase.writers, step.phase.key
            assert step.phase.item_kind, step.phase.key


def test_the_incident_method_follows_the_domain_order_and_timings():
    assert [s.phase.key for s in INCIDENT.steps] == [
        "pitch", "silent_questions", "clarify", "core", "advice", "takeaway"]
    assert INCIDENT.default_minutes() == [3, 5, 15, 10, 10, 5]
    assert [p.minutes for p in INCIDENT.phases()] == [3, 5, 15, 10, 10, 5]


def test_the_incident_method_names_its_phases(app_context):
    assert [str(s.name) for s in INCIDENT.steps] == [
        "Situatie en hulpvraag", "Vragen in stilte", "Verhelderende vragen", "De kern", "Advies",
        "Wat neem je mee?"]


@pytest.mark.parametrize("key,index,step", ALL_STEPS, ids=STEP_IDS)
def test_a_silent_presenter_cannot_post(key, index, step):
    if PRESENTER in step.phase.silent:
        for own in (0, 1, 5):
            assert not can_post(step.phase, PRESENTER, own_items=own)


def test_some_phases_do_silence_the_presenter():
    assert any(PRESENTER in s.phase.silent for _, _, s in ALL_STEPS)


@pytest.mark.parametrize("key,index,step", ALL_STEPS, ids=STEP_IDS)
def test_every_phase_tells_each_role_what_to_do(app_context, key, index, step):
    assert set(step.expect) == set(ROLES)
    for role in ROLES:
        assert str(step.expect[role]).strip(), f"{key}/{step.phase.key}: nothing for {role}"
    assert str(step.name).strip()
    assert str(step.explanation).strip()


def test_custom_minutes_are_applied():
    phases = INCIDENT.phases([4, 6, 20, 12, 8, 7])
    assert [p.minutes for p in phases] == [4, 6, 20, 12, 8, 7]


def test_missing_minutes_fall_back_to_the_defaults():
    assert [p.minutes for p in INCIDENT.phases([4, 6])] == [4, 6, 15, 10, 10, 5]
    assert [p.minutes for p in INCIDENT.phases([4, None, 0, 12])] == [4, 5, 15, 12, 10, 5]
    assert [p.minutes for p in INCIDENT.phases([])] == INCIDENT.default_minutes()
    assert [p.minutes for p in INCIDENT.phases(None)] == INCIDENT.default_minutes()


def test_extra_minutes_beyond_the_phases_are_ignored():
    assert len(INCIDENT.phases([1, 2, 3, 4, 5, 6, 7, 8])) == len(INCIDENT.steps)


def test_custom_minutes_are_whole_numbers():
    assert [p.minutes for p in INCIDENT.phases(["4", "6"])][:2] == [4, 6]


def test_custom_minutes_change_only_the_timing():
    default, custom = INCIDENT.phases(), INCIDENT.phases([9, 9, 9, 9, 9, 9])
    for d, c in zip(default, custom):
        assert (d.key, d.input_mode, d.writers, d.silent, d.item_kind, d.max_items) == (
            c.key, c.input_mode, c.writers, c.silent, c.item_kind, c.max_items)


def test_custom_minutes_leave_the_method_untouched():
    INCIDENT.phases([1, 1, 1, 1, 1, 1])
    assert INCIDENT.default_minutes() == [3, 5, 15, 10, 10, 5]
