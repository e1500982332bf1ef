"""The rules of intervisie: planning, RSVP, who may see what, the case, reflection and retention.

Functions take plain values and a session; they add and flush, never commit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache, cached_property

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app import actions as personal_actions
from app import hooks, live

from app.accounts import services as accounts
from app.accounts.models import Membership, Person, Team
from app.intervisie import methods, phases
from app.intervisie.models import (
    DEFAULT_PREVIEW_HOURS, DEFAULT_RETENTION_DAYS, CaseText, Contribution, Participant, PlanSubmission,
    Reflection, Round, Series, TeamSettings, TeamTemplate,
)
from app.actions import PersonalAction
from app.models_base import insert_if_missing, utcnow
from app.timezone import AMSTERDAM

NORM_MIN, NORM_MAX = 4, 8  # the usual size of an intervision group
# Rounds are planned at most this far ahead (repeats included): far enough for any real
# schedule, and far from the year 9999 where adding a round's minutes no longer fits a date.
PLAN_HORIZON = timedelta(days=730)
# The facilitator may start a round from this long before its planned time, not earlier: a
# started round opens its case to every participant, which the preview window must govern.
START_WINDOW = timedelta(minutes=60)
MAX_ID = 2**31 - 1  # ids are 32-bit integers in PostgreSQL; anything larger names nothing


def valid_id(value) -> bool:
    """An id a row could have: a browser may send any number (2**70), which must mean "none"."""
    return isinstance(value, int) and 0 < value <= MAX_ID


def channel(round_id: int) -> str:
    """The live channel of a round: what its phones' streams listen to."""
    return f"round:{round_id}"


def current_version(session, round_id: int) -> int | None:
    return session.scalar(select(Round.version).where(Round.id == round_id))


def mark_changed(session, rnd: Round, *guard, **values) -> bool:
    """Bump the round's version (setting `values` too) in one UPDATE, only where every `guard`
    condition holds; False when it does not (somebody changed the round meanwhile).

    The new version is published to the round's phones when this transaction commits, and
    never when it rolls back (`app.live`). Every change a phone may show goes through here.
    """
    session.flush()  # pending ORM changes first: the UPDATE below must not overtake them
    version = session.execute(
        update(Round).where(Round.id == rnd.id, *guard).values(version=Round.version + 1, **values)
        .returning(Round.version), execution_options={"synchronize_session": False}).scalar()
    if version is None:
        return False
    if values:
        session.expire(rnd)  # reload what the UPDATE wrote
    else:
        set_committed_value(rnd, "version", version)
    live.changed(session, channel(rnd.id), str(version))
    return True


class PlanError(Exception):
    """A plan that cannot be saved; `field` says where the message belongs."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Plan:
    """What a lead fills in to plan a round (plain values, already parsed)."""

    title: str
    starts_at: datetime
    place: str
    video_url: str
    method_key: str
    minutes: list[int]
    participant_ids: list[int]
    facilitator_id: int
    presenter_id: int | None
    repeat_weeks: int = 0
    repeat_count: int = 1


# Access ----------------------------------------------------------------------------------------

def participant(session, round_id: int, person_id: int | None) -> Participant | None:
    if not valid_id(person_id):
        return None
    loaded = _loaded_participants(session, round_id)
    if loaded is not None:
        return next((p for p in loaded if p.person_id == person_id), None)
    return session.scalar(select(Participant).where(Participant.round_id == round_id,
                                                    Participant.person_id == person_id))


def _loaded_participants(session, round_id: int) -> list[Participant] | None:
    """The round's participants when this session holds them already, else None.

    Every change to who takes part goes through `Round.participants`, so a loaded collection is
    what the database will hold; a page asks "who am I here" several times, and each answer
    would otherwise be a query."""
    rnd = session.identity_map.get(identity_key(Round, round_id))
    if rnd is None or "participants" in sa_inspect(rnd).unloaded:
        return None
    return rnd.participants


@dataclass(frozen=True)
class Access:
    round: Round
    me: Participant | None   # None: a lead who is not taking part (planning data only)
    _session: object = field(repr=False, compare=False)
    _person: Person = field(repr=False, compare=False)

    @cached_property
    def lead(self) -> bool:
        """Asked only where planning rights matter (two queries a live phone never needs)."""
        return accounts.can_lead(self._session, self._person, self._session.get(Team, self.round.team_id))

    @property
    def role(self) -> str | None:
        return self.me.role if self.me else None


def load_round(session, round_id: int) -> Round | None:
    """A round with what its pages and streams ask about it, in one query (see `access`)."""
    return session.execute(_round_query(), {"round_id": round_id}).unique().scalar_one_or_none()


@cache
def _round_query():
    # Built once, the id bound per call: on every round page, fragment and push
    # (docs/architecture.md, "Serving").
    return select(Round).where(Round.id == bindparam("round_id")).options(
        joinedload(Round.participants), joinedload(Round.team_settings),
        joinedload(Round.case).load_only(CaseText.round_id, CaseText.author_id))


def access(session, person: Person, round_id: int) -> Access | None:
    """Participants see the round; the team's leads (accounts' one "is lead" rule, admins
    included) see its planning data; everyone else nothing."""
    # Every round page asks who this person is there, when the case may be read, and whose the
    # case is: the participants, the team's settings and the case's author come in the round's
    # own query (joined), and `participant()` and `round_settings()` then ask none. The case's
    # texts are not read here, only by `round_case` for someone who may read them.
    rnd = load_round(session, round_id) if valid_id(round_id) else None
    if rnd is None:
        return None
    me = participant(session, rnd.id, person.id)
    acc = Access(rnd, me, session, person)
    if me is None and not acc.lead:
        return None
    return acc


def still_taking_part(session, pairs) -> set[tuple[int, int]]:
    """Which (round id, person id) pairs still have a seat: one query for any number of them."""
    pairs = set(pairs)
    if not pairs:
        return set()
    rows = session.execute(select(Participant.round_id, Participant.person_id).where(
        Participant.round_id.in_({r for r, _ in pairs}), Participant.person_id.in_({p for _, p in pairs})))
    return {(r, p) for r, p in rows} & pairs


def with_people(session, rnd: Round) -> list[Participant]:
    """The round's participants with their people loaded in one query (a page that shows names
    would otherwise ask once per person)."""
    waiting = [p for p in rnd.participants if p.person_id is not None and "person" in sa_inspect(p).unloaded]
    if waiting:
        people = {person.id: person for person in
                  session.scalars(_people_query(), {"ids": list({p.person_id for p in waiting})})}
        for p in waiting:
            set_committed_value(p, "person", people.get(p.person_id))
    return rnd.participants


@cache
def _people_query():
    return select(Person).where(Person.id.in_(bindparam("ids", expanding=True)))


def team_members(session, team_id: int) -> list[Person]:
    return list(session.scalars(select(Person).join(Membership, Membership.person_id == Person.id)
                                .where(Membership.team_id == team_id).order_by(Person.name)))


# Planning ----------------------------------------------------------------------------------------

def settings(session, team_id: int) -> TeamSettings:
    return session.get(TeamSettings, team_id) or default_settings(team_id)


def default_settings(team_id: int) -> TeamSettings:
    return TeamSettings(team_id=team_id, case_retention_days=DEFAULT_RETENTION_DAYS,
                        case_preview_hours=DEFAULT_PREVIEW_HOURS)


def round_settings(rnd: Round) -> TeamSettings:
    """The settings of the round's team, through the round (loaded with it by `access`)."""
    return rnd.team_settings or default_settings(rnd.team_id)


def save_settings(session, team_id: int, retention_days: int, preview_hours: int) -> TeamSettings:
    """Safe when a double click saves the team's first settings twice at once."""
    insert_if_missing(session, TeamSettings, team_id=team_id)
    row = session.get(TeamSettings, team_id, populate_existing=True)
    row.case_retention_days, row.case_preview_hours = retention_days, preview_hours
    session.flush()
    return row


def validate_plan(session, team_id: int, plan: Plan, now: datetime, round_id: int | None = None) -> list[str]:
    """Refuse what cannot work; return gentle warnings for what is merely unusual: a group
    outside the usual size ("size"), another round of the team at that time ("clash";
    `round_id` is the round being changed, which never clashes with itself)."""
    members = {p.id for p in team_members(session, team_id)}
    if methods.get(plan.method_key) is None:
        raise PlanError("method", "unknown method")
    if plan.starts_at < now - timedelta(minutes=5):
        raise PlanError("starts_at", "past")
    if plan.starts_at > now + PLAN_HORIZON:
        raise PlanError("starts_at", "too far")
    if plan.repeat_weeks > 0 and plan.repeat_count > 1 and \
            plan.starts_at + timedelta(weeks=plan.repeat_weeks * (plan.repeat_count - 1)) > now + PLAN_HORIZON:
        raise PlanError("repeat_count", "repeats too far")
    people = set(plan.participant_ids) | {plan.facilitator_id} | ({plan.presenter_id} if plan.presenter_id else set())
    if not people <= members:
        raise PlanError("participants", "not in team")
    if plan.presenter_id and plan.presenter_id == plan.facilitator_id:
        raise PlanError("presenter", "presenter is facilitator")
    if not people - {plan.facilitator_id}:  # nobody to bring in a case: it could never start
        raise PlanError("participants", "too few")
    if any(not 1 <= m <= 180 for m in plan.minutes):
        raise PlanError("minutes", "minutes")
    warnings = []
    if not NORM_MIN <= len(people) <= NORM_MAX:
        warnings.append("size")
    if clashes(session, team_id, plan.starts_at, sum(plan.minutes), round_id):
        warnings.append("clash")
    return warnings


def clashes(session, team_id: int, starts_at: datetime, minutes: int, round_id: int | None = None) -> list[Round]:
    """The team's other planned rounds that overlap this time (a double plan, or two groups that
    would need the same people)."""
    ends_at = starts_at + timedelta(minutes=minutes)
    nearby = session.scalars(select(Round).where(
        Round.team_id == team_id, Round.cancelled_at.is_(None), Round.status != phases.FINISHED,
        Round.starts_at < ends_at, Round.starts_at > starts_at - timedelta(hours=12),
        *([Round.id != round_id] if round_id else [])))
    return [r for r in nearby if r.starts_at + timedelta(minutes=sum(r.minutes)) > starts_at]


def plan_rounds(session, team_id: int, plan: Plan, created_by: Person) -> list[Round]:
    """One round, or a series every N weeks on the same weekday and time.

    Occurrences keep their wall-clock time in Amsterdam across daylight-saving changes: a round
    at 14:00 stays at 14:00.
    """
    local = plan.starts_at.astimezone(AMSTERDAM).replace(tzinfo=None)
    count = max(plan.repeat_count, 1) if plan.repeat_weeks > 0 else 1
    starts = [(local + timedelta(weeks=plan.repeat_weeks * i)).replace(tzinfo=AMSTERDAM).astimezone(timezone.utc)
              for i in range(count)]
    series = None
    if count > 1:
        series = Series(team_id=team_id, every_weeks=plan.repeat_weeks, until=starts[-1],
                        created_by_id=created_by.id)
        session.add(series)
        session.flush()
    rounds = []
    for start in starts:
        rnd = Round(team_id=team_id, series_id=series.id if series else None, title=plan.title, starts_at=start,
                    place=plan.place, video_url=plan.video_url, method_key=plan.method_key,
                    minutes=list(plan.minutes), created_by_id=created_by.id, status=phases.PLANNED,
                    phase_index=-1, version=0, revealed=[], extra_seconds=0)
        for person_id, role in _roles(plan).items():
            rnd.participants.append(Participant(person_id=person_id, role=role,
                                                rsvp="yes" if person_id == created_by.id else None))
        session.add(rnd)
        rounds.append(rnd)
    session.flush()
    return rounds


def _roles(plan: Plan) -> dict[int, str]:
    roles = {pid: phases.PARTICIPANT for pid in plan.participant_ids}
    roles[plan.facilitator_id] = phases.FACILITATOR
    if plan.presenter_id:
        roles[plan.presenter_id] = phases.PRESENTER
    return roles


@dataclass(frozen=True)
class Change:
    new_people: set          # newly invited (for notifications)
    case_removed_for: int | None  # the author whose prepared case was removed (to tell them)


def update_round(session, rnd: Round, plan: Plan) -> Change:
    """Change a planned round.

    A case belongs to its author, written as this round's presenter. When someone else becomes
    presenter (or nobody yet), the case is deleted, not kept aside: the round has one case
    slot, a kept copy would be one more place where a family's story lingers past the
    retention rules, and the author can write it again for a round where they bring it in.
    The caller tells the author.
    """
    if rnd.status != phases.PLANNED or rnd.cancelled_at:
        raise PlanError("round", "not planned")
    case = session.get(CaseText, rnd.id)
    removed_for = None
    if case is not None and plan.presenter_id != case.author_id:
        removed_for = case.author_id
        session.delete(case)
        set_committed_value(rnd, "case", None)
    rnd.title, rnd.starts_at, rnd.place, rnd.video_url = plan.title, plan.starts_at, plan.place, plan.video_url
    rnd.method_key, rnd.minutes = plan.method_key, list(plan.minutes)
    roles = _roles(plan)
    existing = {p.person_id: p for p in rnd.participants}
    for person_id, p in existing.items():
        if person_id not in roles:
            rnd.participants.remove(p)
    for person_id, role in roles.items():
        if person_id in existing:
            existing[person_id].role = role
        else:
            rnd.participants.append(Participant(person_id=person_id, role=role))
    mark_changed(session, rnd)
    return Change(new_people=set(roles) - set(existing), case_removed_for=removed_for)


def cancel_round(session, rnd: Round) -> None:
    """Only a planned round that is not cancelled yet; the guard in the UPDATE makes parallel
    cancels (a double tap, two leads) end in one, so participants are told once."""
    if not mark_changed(session, rnd, Round.status == phases.PLANNED, Round.cancelled_at.is_(None),
                        cancelled_at=utcnow()):
        raise PlanError("round", "not planned")


def rsvp(session, rnd: Round, person_id: int, answer: str) -> None:
    if answer not in ("yes", "no", "maybe"):
        raise PlanError("rsvp", "answer")
    p = participant(session, rnd.id, person_id)
    if p is None:
        raise PlanError("rsvp", "not invited")
    p.rsvp = answer


def save_template(session, team_id: int, name: str, method_key: str, minutes: list[int]) -> TeamTemplate:
    template = session.scalar(select(TeamTemplate).where(TeamTemplate.team_id == team_id,
                                                         TeamTemplate.name == name))
    if template is None:
        template = TeamTemplate(team_id=team_id, name=name)
        session.add(template)
    template.method_key, template.minutes = method_key, list(minutes)
    session.flush()
    return template


def templates(session, team_id: int) -> list[TeamTemplate]:
    return list(session.scalars(select(TeamTemplate).where(TeamTemplate.team_id == team_id)
                                .order_by(TeamTemplate.name)))


# A round counts as coming (not yet past) until this long after its start.
STILL_COMING = timedelta(hours=4)


def _upcoming(*columns):
    return (select(Round, *columns).join(Participant)
            .where(Participant.person_id == bindparam("person_id"), Round.cancelled_at.is_(None),
                   Round.status != phases.FINISHED, Round.starts_at > bindparam("since"))
            .order_by(Round.starts_at).limit(bindparam("limit")))


@cache
def _upcoming_query():
    return _upcoming()


@cache
def _upcoming_seats_query():
    ready = (select(CaseText.round_id).where(CaseText.round_id == Round.id, CaseText.author_id == bindparam("person_id"),
                                             CaseText.help_question != "").exists())
    return _upcoming(Participant, ready)


def upcoming(session, person_id: int, now: datetime, limit: int = 20) -> list[Round]:
    return list(session.scalars(_upcoming_query(),
                                {"person_id": person_id, "since": now - STILL_COMING, "limit": limit}))


def upcoming_seats(session, person_id: int, now: datetime, limit: int) -> list[tuple[Round, Participant, bool]]:
    """The person's coming rounds with their seat in each and whether their own case for it is
    ready (a help question written), in one query; no case text is read."""
    return [(rnd, me, bool(own_ready)) for rnd, me, own_ready in session.execute(
        _upcoming_seats_query(), {"person_id": person_id, "since": now - STILL_COMING, "limit": limit})]


# A round leads Vandaag this long before it starts; a presenter whose case is not ready yet
# sees it from a week before, so there is time to write.
NEXT_SOON = timedelta(hours=36)
NEXT_PREPARE = timedelta(days=7)


@dataclass(frozen=True)
class NextRound:
    """The round that comes first for a person, and what it asks of them."""

    round: Round
    me: Participant
    case_ready: bool
    starts_in: timedelta   # negative once it has started
    may_start: bool        # the facilitator may start it now
    days_away: int         # 0 today, 1 tomorrow (Amsterdam days)

    @property
    def live(self) -> bool:
        return self.round.status == phases.LIVE


def next_round(session, person_id: int, now: datetime,
               seats: list[tuple[Round, Participant, bool]] | None = None) -> NextRound | None:
    """The person's first round that is live, or starts soon (sooner for a presenter whose case
    is not written yet); None when nothing is near. `seats`: their `upcoming_seats`, when the
    caller read them already."""
    seats = upcoming_seats(session, person_id, now, 1) if seats is None else seats
    if not seats:
        return None
    rnd, me, ready = seats[0]
    starts_in = rnd.starts_at - now
    near = rnd.status == phases.LIVE or starts_in <= NEXT_SOON or (
        me.role == phases.PRESENTER and not ready and starts_in <= NEXT_PREPARE)
    if not near:
        return None
    days = (rnd.starts_at.astimezone(AMSTERDAM).date() - now.astimezone(AMSTERDAM).date()).days
    return NextRound(rnd, me, ready, starts_in, may_start=rnd.status == phases.PLANNED and now >= can_start_from(rnd),
                     days_away=days)


def past(session, person_id: int, now: datetime, limit: int = 20) -> list[Round]:
    return list(session.scalars(_past_query(), {"person_id": person_id, "since": now - STILL_COMING, "limit": limit}))


@cache
def _past_query():
    return (select(Round).join(Participant)
            .where(Participant.person_id == bindparam("person_id"), Round.cancelled_at.is_(None),
                   (Round.status == phases.FINISHED) | (Round.starts_at <= bindparam("since")))
            .order_by(Round.starts_at.desc()).limit(bindparam("limit")))


# The case ----------------------------------------------------------------------------------------

def case_readable_from(session, rnd: Round) -> datetime:
    return rnd.starts_at - timedelta(hours=round_settings(rnd).case_preview_hours)


def can_start_from(rnd: Round) -> datetime:
    return rnd.starts_at - START_WINDOW


def can_read_case(session, acc: Access, now: datetime) -> bool:
    """The presenter always; other participants from the preview time on; leads who are not
    participating never (planning data only)."""
    if acc.me is None or acc.round.case_deleted_at:
        return False
    if acc.me.role == phases.PRESENTER or acc.round.status != phases.PLANNED:
        return True
    return now >= case_readable_from(session, acc.round)


def presenter_id(session, rnd: Round) -> int | None:
    loaded = _loaded_participants(session, rnd.id)
    if loaded is not None:
        return next((p.person_id for p in loaded if p.role == phases.PRESENTER), None)
    return session.scalar(select(Participant.person_id).where(Participant.round_id == rnd.id,
                                                              Participant.role == phases.PRESENTER))


def visible_case(session, acc: Access, now: datetime,
                 read_case: Callable[[], CaseText | None] | None = None) -> CaseText | None:
    """The case this person may read now: only one written by the round's current presenter,
    so a case never passes to whoever becomes presenter after its author. `read_case`: how to
    get the round's case row when the caller reads it once for several people; it is asked
    only when this person may read a case at all (a waiting screen asks nothing)."""
    if not can_read_case(session, acc, now):
        return None
    case = read_case() if read_case is not None else round_case(session, acc.round)
    if case is None or case.author_id != presenter_id(session, acc.round):
        return None
    return case


def case_ideas(session, person_id: int) -> list[dict]:
    """Themes the person noted to bring in (feedback's "Inbrengen bij intervisie"), when that
    feature is installed: asked through the hooks, so intervisie imports no feedback. Their own
    only: offered when they prepare a case, and to them alone while the group chooses."""
    lookup = hooks.of().lookup("case_ideas")
    return lookup(session, person_id) if lookup else []


def round_case(session, rnd: Round, *, texts: bool = True) -> CaseText | None:
    """The round's case row. `access` reads only its author with the round, so that the texts
    of a family's story travel for nobody who may not read them; they are read here, in one
    query, when asked for (`texts`). Without `access`, the whole row is asked."""
    if "case" in sa_inspect(rnd).unloaded:
        return session.get(CaseText, rnd.id)
    case = rnd.case
    if texts and case is not None and (unread := sa_inspect(case).unloaded):
        session.refresh(case, list(unread))
    return case


def own_case(session, rnd: Round, person_id: int) -> CaseText | None:
    """The case for the editor: only the author's own."""
    case = round_case(session, rnd, texts=False)
    if case is None or case.author_id != person_id:
        return None
    return round_case(session, rnd)


def save_case(session, rnd: Round, author_id: int, help_question: str, case_text: str) -> CaseText:
    case = session.get(CaseText, rnd.id) or CaseText(round_id=rnd.id, author_id=author_id)
    case.author_id, case.help_question, case.case_text = author_id, help_question, case_text
    set_committed_value(rnd, "case", case)
    case.updated_at = utcnow()
    session.add(case)
    mark_changed(session, rnd)
    return case


def purge_cases(session, now: datetime) -> int:
    """Delete case texts, questions and advice a team's retention days after their round.

    What remains: the presenter's takeaway and actions, and each person's private learning
    points (Reflection and Action rows), which are theirs.
    """
    done = 0
    due = session.execute(
        select(Round, func.coalesce(TeamSettings.case_retention_days, DEFAULT_RETENTION_DAYS))
        .outerjoin(TeamSettings, TeamSettings.team_id == Round.team_id)
        .where(Round.case_deleted_at.is_(None), Round.starts_at < now)).all()
    for rnd, days in due:
        end = rnd.finished_at or rnd.starts_at
        if end + timedelta(days=days) <= now:
            session.execute(delete(CaseText).where(CaseText.round_id == rnd.id))
            session.execute(delete(Contribution).where(Contribution.round_id == rnd.id))
            rnd.case_deleted_at = now
            mark_changed(session, rnd)  # open pages drop the case at once
            done += 1
    return done


# After the round ---------------------------------------------------------------------------------

def reflection(session, round_id: int, person_id: int) -> Reflection:
    return session.get(Reflection, (round_id, person_id)) or Reflection(round_id=round_id, person_id=person_id)


ACTION_SOURCE = "intervisie"  # PersonalAction.source; its source_id is the round


def round_actions(session, round_id: int, owner_id: int | None = None) -> list[PersonalAction]:
    """The actions the presenter gave themselves in this round (shared PersonalAction rows)."""
    return [a for a in personal_actions.of_source(session, ACTION_SOURCE, round_id)
            if owner_id is None or a.owner_id == owner_id]


def save_reflection(session, acc: Access, *, takeaway: str | None, learning_point: str, score: int | None,
                    comment: str, actions: list[str]) -> Reflection:
    """Safe when a double click saves a first reflection twice at once. The presenter's actions
    are the round's actions as the form shows them: saving again edits them, never adds copies."""
    insert_if_missing(session, Reflection, round_id=acc.round.id, person_id=acc.me.person_id)
    r = session.get(Reflection, (acc.round.id, acc.me.person_id), populate_existing=True)
    if acc.role == phases.PRESENTER and takeaway is not None:
        r.takeaway = takeaway
        set_round_actions(session, acc.round.id, acc.me.person_id, actions)
    r.learning_point, r.score, r.comment, r.updated_at = learning_point, score, comment, utcnow()
    session.add(r)
    session.flush()
    return r


def set_round_actions(session, round_id: int, owner_id: int, texts: list[str]) -> None:
    """Slot by slot: a changed text edits its action (done or not), an emptied slot removes it,
    a new one is added. Each slot is the action with the same position, so a resent form
    finds the same rows."""
    texts = [t.strip()[:personal_actions.TEXT_MAX] for t in texts]
    existing = round_actions(session, round_id, owner_id)
    for slot, text in enumerate(texts):
        action = existing[slot] if slot < len(existing) else None
        if action is not None and text:
            action.text = text
        elif action is not None:
            session.delete(action)
        elif text:
            personal_actions.add(session, owner_id, text, source=ACTION_SOURCE, source_id=round_id)
    for extra in existing[len(texts):]:
        session.delete(extra)
    session.flush()


def action_texts(session, round_id: int, owner_id: int, slots: int = 2) -> list[str]:
    """The presenter's saved actions for the reflection form, one per slot."""
    texts = [a.text for a in round_actions(session, round_id, owner_id)]
    return (texts + [""] * slots)[:slots]


def previous_rounds(session, rnd: Round, person_ids) -> dict[int, int]:
    """For each of these people, the last earlier round of the team they took part in (person id
    -> round id; absent when there is none): one query for a whole round's people."""
    ids = set(person_ids)
    if not ids:
        return {}
    return dict(session.execute(_previous_rounds_query(), {
        "team_id": rnd.team_id, "starts_at": rnd.starts_at, "round_id": rnd.id, "ids": list(ids)}).all())


@cache
def _previous_rounds_query():
    latest = func.row_number().over(partition_by=Participant.person_id,
                                    order_by=(Round.starts_at.desc(), Round.id.desc())).label("latest")
    ranked = (select(Participant.person_id, Round.id.label("round_id"), latest)
              .join(Round, Participant.round_id == Round.id)
              .where(Round.team_id == bindparam("team_id"), Round.starts_at < bindparam("starts_at"),
                     Round.cancelled_at.is_(None), Round.id != bindparam("round_id"),
                     Participant.person_id.in_(bindparam("ids", expanding=True)))).subquery()
    return select(ranked.c.person_id, ranked.c.round_id).where(ranked.c.latest == 1)


def open_actions_before(session, rnd: Round, person_id: int) -> list[PersonalAction]:
    """The look back this round opens with, for one person: the open actions of the last earlier
    round of the team that this person took part in. Actions are shared within the round they
    came from, so someone who was not there never sees them; nor does someone outside this round.
    """
    if participant(session, rnd.id, person_id) is None:
        return []
    previous = previous_rounds(session, rnd, [person_id]).get(person_id)
    return [] if previous is None else open_actions_of(session, previous)


def open_actions_of(session, round_id: int) -> list[PersonalAction]:
    return [a for a in round_actions(session, round_id) if a.done_at is None]


@dataclass(frozen=True)
class Summary:
    """After the round, for its participants: what helped (the content, until retention) and
    the presenter's actions (kept)."""

    warm_questions: list
    helpful_advice: list
    actions: list

    def __bool__(self) -> bool:
        return bool(self.warm_questions or self.helpful_advice or self.actions)


def summary(session, rnd: Round) -> Summary:
    items = session.scalars(select(Contribution).where(
        Contribution.round_id == rnd.id, Contribution.hidden.is_(False),
        (Contribution.rating == "warm") | Contribution.helpful).order_by(Contribution.id)).all()
    return Summary(warm_questions=[i.text for i in items if i.kind == "question" and i.rating == "warm"],
                   helpful_advice=[i.text for i in items if i.kind == "advice" and i.helpful],
                   actions=round_actions(session, rnd.id))


# The lead's overview -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Overview:
    upcoming: list
    past: list
    attendance: dict   # person name -> (rounds invited, said yes)
    methods_used: dict  # method name -> count


def overview(session, team_id: int, now: datetime) -> Overview:
    """Counts only: never the content of a round."""
    rounds = list(session.scalars(select(Round).where(Round.team_id == team_id, Round.cancelled_at.is_(None))
                                  .order_by(Round.starts_at)))
    attendance: dict[str, list[int]] = {}
    used: dict[str, int] = {}
    for rnd in rounds:
        if rnd.starts_at <= now or rnd.status == phases.FINISHED:
            used[rnd.method_key] = used.get(rnd.method_key, 0) + 1
            for p in rnd.participants:
                counts = attendance.setdefault(p.name, [0, 0])
                counts[0] += 1
                counts[1] += p.rsvp == "yes"
    # A round that was started early and is finished already is history, whatever its planned time.
    done = [r for r in rounds if r.starts_at <= now or r.status == phases.FINISHED]
    return Overview(
        upcoming=[r for r in rounds if r not in done],
        past=done[::-1],
        attendance={k: tuple(v) for k, v in sorted(attendance.items())},
        methods_used=used,
    )


# Idempotent planning --------------------------------------------------------------------------------

def claim_submission(session, token: str, team_id: int) -> int | None:
    """Claim a plan form's one-time id. None: this submission is new, plan it (and call
    `record_submission`). Otherwise the first submission's round id (0 if that one is still
    unfinished or failed): do not plan again.

    The INSERT takes the key; a parallel submission of the same form waits for it (PostgreSQL)
    or for the write lock (SQLite) and then finds it taken.
    """
    if insert_if_missing(session, PlanSubmission, token=token, team_id=team_id, created_at=utcnow()):
        return None
    first = session.get(PlanSubmission, token, populate_existing=True)
    return (first.round_id or 0) if first is not None and first.team_id == team_id else 0


def record_submission(session, token: str, round_id: int) -> None:
    session.execute(update(PlanSubmission).where(PlanSubmission.token == token).values(round_id=round_id))


def purge_submissions(session, now: datetime) -> int:
    """A resent form is a matter of seconds; a day later its id has no use."""
    return session.execute(delete(PlanSubmission).where(PlanSubmission.created_at < now - timedelta(days=1))).rowcount

