"""Operations on a live round: the phase machine applied to the database, and what each phone shows.

Every change bumps the round's `version` in the same UPDATE that checks the expected phase, so
a move is atomic across processes; `services.mark_changed` does that UPDATE and has the new
version published once the transaction commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.accounts.models import Person
from app.intervisie import methods, phases
from app.intervisie.models import Contribution, Participant, Round
from app.intervisie.services import Access, can_start_from, mark_changed, participant, valid_id

# "Rond af" and "Verberg" can be undone shortly after (the phone offers it for a few seconds;
# the server allows a little longer, for a slow network).
UNDO_WINDOW = timedelta(minutes=2)
RATINGS = ("koud", "lauw", "warm")  # stored as they are; shown through RATING_LABELS
RATING_LABELS = {"koud": _l("koud"), "lauw": _l("lauw"), "warm": _l("warm")}
MAX_TEXT = 1000


class ChoosePresenter(phases.NotAllowed):
    """The group chooses the presenter at the start, and nobody was chosen."""


class TooEarly(phases.NotAllowed):
    """The round may be started only shortly before its planned time (`services.START_WINDOW`)."""

    def __init__(self, starts_from: datetime):
        super().__init__("too early")
        self.starts_from = starts_from


def phase_list(rnd: Round) -> list[phases.Phase]:
    return methods.get(rnd.method_key).phases(rnd.minutes)


def state_of(rnd: Round) -> phases.State:
    return phases.State(status=rnd.status, index=rnd.phase_index, started_at=rnd.phase_started_at,
                        extra_seconds=rnd.extra_seconds, revealed=frozenset(rnd.revealed or []))


def _save(session, rnd: Round, old: phases.State, new: phases.State, now: datetime) -> None:
    """Write the new state only if nobody changed the round meanwhile (the guard)."""
    values = dict(status=new.status, phase_index=new.index, phase_started_at=new.started_at,
                  extra_seconds=new.extra_seconds, revealed=sorted(new.revealed))
    if new.status == phases.FINISHED and old.status != phases.FINISHED:
        values["finished_at"] = now
    if old.status == phases.FINISHED and new.status != phases.FINISHED:
        values["finished_at"] = None
    if not mark_changed(session, rnd, Round.status == old.status, Round.phase_index == old.index,
                        Round.extra_seconds == old.extra_seconds, **values):
        raise phases.PhaseConflict("changed meanwhile")


def _facilitator(acc: Access) -> None:
    if acc.role != phases.FACILITATOR:
        raise phases.NotAllowed("only the facilitator")


def start(session, acc: Access, now: datetime, presenter_id: int | None = None) -> None:
    """The facilitator starts the round; if no presenter was planned, the group's choice is set now."""
    _facilitator(acc)
    rnd = acc.round
    if rnd.cancelled_at:
        raise phases.PhaseConflict("cancelled")
    if rnd.status == phases.PLANNED and now < can_start_from(rnd):
        raise TooEarly(can_start_from(rnd))
    presenter = session.scalar(select(Participant).where(Participant.round_id == rnd.id,
                                                         Participant.role == phases.PRESENTER))
    if presenter is None:
        chosen = participant(session, rnd.id, presenter_id)
        if chosen is None or chosen.role == phases.FACILITATOR:
            raise ChoosePresenter("choose a presenter")
        chosen.role = phases.PRESENTER
    old = state_of(rnd)
    _save(session, rnd, old, phases.start(old, now), now)


def move(session, acc: Access, direction: str, expected: int, now: datetime) -> None:
    _facilitator(acc)
    rnd = acc.round
    old = state_of(rnd)
    if direction != "next" and rnd.status == phases.FINISHED and not may_undo_finish(rnd, now):
        raise phases.PhaseConflict("finished too long ago to undo")
    new = phases.advance(old, phase_list(rnd), expected, now) if direction == "next" \
        else phases.go_back(old, expected, now)
    _save(session, rnd, old, new, now)


def may_undo_finish(rnd: Round, now: datetime) -> bool:
    """The facilitator may take back "Rond af" just after pressing it, not once people moved on."""
    return rnd.status == phases.FINISHED and rnd.finished_at is not None and now - rnd.finished_at <= UNDO_WINDOW


def extend(session, acc: Access, expected: int, minutes: int, now: datetime) -> None:
    _facilitator(acc)
    old = state_of(acc.round)
    _save(session, acc.round, old, phases.extend(old, expected, minutes), now)


def reveal(session, acc: Access, expected: int, now: datetime) -> None:
    _facilitator(acc)
    old = state_of(acc.round)
    _save(session, acc.round, old, phases.reveal(old, phase_list(acc.round), expected), now)


def post(session, acc: Access, text: str, expected: int, now: datetime) -> Contribution:
    """A question, advice, association or core, in the phase the person saw."""
    rnd = acc.round
    # Lock the round first: the UPDATE that bumps its version, only if it is still live in the
    # phase the person saw. Parallel posts then count one after another within this
    # transaction (row lock on PostgreSQL, the write lock on SQLite), so a double or
    # parallel submit never exceeds the limit (one vote, three questions).
    if not mark_changed(session, rnd, Round.status == phases.LIVE, Round.phase_index == expected):
        raise phases.PhaseConflict("phase changed")
    phase = phase_list(rnd)[expected]
    own = session.scalar(select(func.count(Contribution.id)).where(
        Contribution.round_id == rnd.id, Contribution.phase_index == expected,
        Contribution.author_id == acc.me.person_id))
    if not phases.can_post(phase, acc.role, own_items=own):
        raise phases.NotAllowed("not in this phase")
    item = Contribution(round_id=rnd.id, phase_index=expected, kind=phase.item_kind or "note",
                        author_id=acc.me.person_id, text=text[:MAX_TEXT], created_at=now)
    session.add(item)
    session.flush()
    return item


def _item(session, acc: Access, item_id: int) -> Contribution:
    item = session.get(Contribution, item_id) if valid_id(item_id) else None
    if item is None or item.round_id != acc.round.id:
        raise phases.NotAllowed("unknown item")
    return item


def rate(session, acc: Access, item_id: int, rating: str | None) -> None:
    """The presenter shows which questions open up the case: koud, lauw or warm."""
    if acc.role != phases.PRESENTER or (rating is not None and rating not in RATINGS):
        raise phases.NotAllowed("only the presenter rates")
    item = _item(session, acc, item_id)
    if item.kind != "question":
        raise phases.NotAllowed("only questions are rated")
    item.rating = rating
    mark_changed(session, acc.round)


def mark_helpful(session, acc: Access, item_id: int, helpful: bool) -> None:
    if acc.role != phases.PRESENTER:
        raise phases.NotAllowed("only the presenter")
    item = _item(session, acc, item_id)
    if item.kind != "advice":
        raise phases.NotAllowed("only advice")
    item.helpful = helpful
    mark_changed(session, acc.round)


def hide(session, acc: Access, item_id: int, hidden: bool = True) -> None:
    """The facilitator removes an item that should not be there (for everyone)."""
    _facilitator(acc)
    _item(session, acc, item_id).hidden = hidden
    mark_changed(session, acc.round)


@dataclass(frozen=True)
class ItemView:
    item: Contribution
    mine: bool
    author: str


@dataclass(frozen=True)
class PhaseView:
    index: int
    step: methods.Step
    items: list


@dataclass(frozen=True)
class LiveView:
    round: Round
    role: str
    status: str
    phase: phases.Phase | None
    step: methods.Step | None
    index: int
    count: int
    expect: object
    ends_at: datetime | None
    seconds_left: int | None
    can_post: bool
    is_facilitator: bool
    is_presenter: bool
    can_reveal: bool
    history: list        # PhaseView for every phase so far that had typed items
    version: int
    limit_reached: bool = False  # this person may write in this phase but used up its limit
    may_undo_finish: bool = False  # the facilitator just finished the round and may take it back

    def rate_here(self, phase_index: int) -> bool:
        """Questions are rated while they are fresh: in their own phase and the one after it,
        not in every later phase (which would make the presenter's screen long)."""
        return self.status == phases.LIVE and self.index - 1 <= phase_index <= self.index


def view(session, acc: Access, now: datetime) -> LiveView:
    """What this person's phone shows now. Hidden and unrevealed items are left out here, on
    the server, so they never reach another phone."""
    rnd = acc.round
    method = methods.get(rnd.method_key)
    plist = method.phases(rnd.minutes)
    state = state_of(rnd)
    live = rnd.status == phases.LIVE
    phase = plist[rnd.phase_index] if live else None
    step = method.steps[rnd.phase_index] if live else None
    left = phases.time_left(state, plist, now)
    names = dict(session.execute(select(Person.id, Person.name).join(Participant, Participant.person_id == Person.id)
                                 .where(Participant.round_id == rnd.id)).all())
    me = acc.me.person_id
    items = session.scalars(select(Contribution).where(Contribution.round_id == rnd.id)
                            .order_by(Contribution.phase_index, Contribution.id)).all()
    by_phase: dict[int, list] = {}
    for item in items:
        # Hidden items stay with their author, and with the facilitator, who can show them again.
        if item.hidden and item.author_id != me and acc.role != phases.FACILITATOR:
            continue
        if not phases.visible(item.phase_index, plist[item.phase_index], state, author_id=item.author_id,
                              viewer_id=me):
            continue
        by_phase.setdefault(item.phase_index, []).append(ItemView(item, item.author_id == me,
                                                                  names.get(item.author_id, "")))
    history = [PhaseView(i, method.steps[i], by_phase[i]) for i in sorted(by_phase, reverse=True)]
    own = len([v for v in by_phase.get(rnd.phase_index, []) if v.mine]) if live else 0
    may_post = bool(live and phases.can_post(phase, acc.role, own_items=own))
    return LiveView(
        round=rnd, role=acc.role, status=rnd.status, phase=phase, step=step, index=rnd.phase_index,
        count=len(plist), expect=step.expect.get(acc.role) if step else None,
        ends_at=phases.ends_at(state, plist), seconds_left=int(left.total_seconds()) if left is not None else None,
        can_post=may_post,
        limit_reached=bool(live and not may_post and own and phases.can_post(phase, acc.role, own_items=0)),
        may_undo_finish=acc.role == phases.FACILITATOR and may_undo_finish(rnd, now),
        is_facilitator=acc.role == phases.FACILITATOR, is_presenter=acc.role == phases.PRESENTER,
        can_reveal=bool(live and phase.input_mode == phases.WRITE_SILENT and rnd.phase_index not in state.revealed),
        history=history, version=rnd.version,
    )
