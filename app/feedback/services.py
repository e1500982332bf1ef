"""The rules of feedback: ask, answer, give unasked, reflect alone, close the loop, look back.

Functions take plain values and a session; they add and flush, never commit. Who may see an
exchange is decided here once (`visible`): its subject and its giver, nobody else.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app import actions
from app.accounts.models import Membership, Person
from app.feedback.models import ANSWERED, CLOSED, EXPIRED, OPEN, REQUEST, SOLO, UNASKED, CaseIdea, Exchange, Submission
from app.models_base import utcnow

LOOPS = ("rules", "insights", "principles")
REFLECTION_FIELDS = ("rules", "insights", "principles", "wish")
ANSWER_FIELDS = ("observed", "other_reading", "at_stake", "top", "tip")


class Duplicate(Exception):
    """This client id was stored before: the phone sent the same thing again."""

    def __init__(self, submission: Submission | None):
        super().__init__("duplicate submission")
        self.submission = submission


class NotOpen(Exception):
    """The request was answered, expired or deleted in the meantime."""


# Who is who -------------------------------------------------------------------------------------

def colleagues(session, person: Person) -> list[Person]:
    """Everyone who shares a team with this person (their own teams, also for an admin)."""
    team_ids = select(Membership.team_id).where(Membership.person_id == person.id)
    return list(session.scalars(
        select(Person).join(Membership, Membership.person_id == Person.id)
        .where(Membership.team_id.in_(team_ids), Person.id != person.id).distinct().order_by(Person.name)))


def is_colleague(session, person: Person, other_id: int) -> bool:
    return any(p.id == other_id for p in colleagues(session, person))


def default_colleague(session, person: Person, buddies=None) -> int | None:
    """The buddy when the buddy feature knows one among the colleagues, else nobody chosen."""
    if buddies is None:
        return None
    allowed = {p.id for p in colleagues(session, person)}
    for buddy_id in buddies(session, person.id) or ():
        if buddy_id in allowed:
            return buddy_id
    return None


def visible(session, person: Person, exchange_id: int) -> Exchange | None:
    """The exchange if this person is one of its two people; None (a 404) for anyone else."""
    exchange = session.get(Exchange, exchange_id)
    if exchange is None or person.id not in (exchange.subject_id, exchange.giver_id):
        return None
    return exchange


# Submissions: each client id once -----------------------------------------------------------------

def claim_submission(session, client_id: str, person_id: int) -> Submission:
    """Store the phone's id for this submission, or raise Duplicate when it was stored before.

    The primary key decides between parallel requests: the loser's flush (or commit) raises
    IntegrityError; the caller rolls back and answers as the winner did (`submission_of`).
    """
    found = session.get(Submission, client_id)
    if found is not None:
        raise Duplicate(found if found.person_id == person_id else None)
    submission = Submission(client_id=client_id, person_id=person_id)
    session.add(submission)
    session.flush()
    return submission


def submission_of(session, client_id: str, person_id: int) -> Submission | None:
    found = session.get(Submission, client_id)
    return found if found is not None and found.person_id == person_id else None


# Ask, answer, give, reflect ---------------------------------------------------------------------

@dataclass(frozen=True)
class Reflection:
    title: str
    rules: str = ""
    insights: str = ""
    principles: str = ""
    wish: str = ""


@dataclass(frozen=True)
class Answer:
    observed: str = ""
    other_reading: str = ""
    at_stake: str = ""
    top: str = ""
    tip: str = ""


def ask(session, subject: Person, giver_id: int, reflection: Reflection, submission: Submission, *,
        expire_days: int, now: datetime | None = None) -> Exchange:
    now = now or utcnow()
    exchange = Exchange(kind=REQUEST, status=OPEN, subject_id=subject.id, giver_id=giver_id, created_at=now,
                        expires_at=now + timedelta(days=expire_days), **reflection.__dict__)
    return _store(session, exchange, submission)


def reflect_alone(session, subject: Person, reflection: Reflection, submission: Submission,
                  now: datetime | None = None) -> Exchange:
    exchange = Exchange(kind=SOLO, status=ANSWERED, subject_id=subject.id, created_at=now or utcnow(),
                        **reflection.__dict__)
    return _store(session, exchange, submission)


def give_unasked(session, giver: Person, subject_id: int, title: str, answer: Answer, submission: Submission,
                 now: datetime | None = None) -> Exchange:
    now = now or utcnow()
    exchange = Exchange(kind=UNASKED, status=ANSWERED, subject_id=subject_id, giver_id=giver.id, title=title,
                        created_at=now, answered_at=now, **answer.__dict__)
    return _store(session, exchange, submission)


def answer(session, exchange: Exchange, giver: Person, answer: Answer, submission: Submission,
           now: datetime | None = None) -> Exchange:
    """The giver answers an open request. The status guard in the UPDATE makes a second answer
    (another tab, another phone) fail instead of overwriting the first."""
    if exchange.kind != REQUEST or exchange.giver_id != giver.id:
        raise NotOpen()
    now = now or utcnow()
    done = session.execute(update(Exchange).where(Exchange.id == exchange.id, Exchange.status == OPEN)
                           .values(status=ANSWERED, answered_at=now, **answer.__dict__))
    if done.rowcount != 1:
        raise NotOpen()
    submission.exchange_id = exchange.id
    session.flush()
    session.refresh(exchange)
    return exchange


def can_close(exchange: Exchange, person: Person) -> bool:
    return exchange.subject_id == person.id and exchange.status == ANSWERED


def close(session, exchange: Exchange, person: Person, takeaway: str, action_text: str, submission: Submission,
          now: datetime | None = None) -> Exchange:
    """The subject closes the loop: what they take with them and one concrete action (on Vandaag)."""
    if not can_close(exchange, person):
        raise NotOpen()
    now = now or utcnow()
    done = session.execute(update(Exchange).where(Exchange.id == exchange.id, Exchange.status == ANSWERED)
                           .values(status=CLOSED, closed_at=now, takeaway=takeaway))
    if done.rowcount != 1:
        raise NotOpen()
    if action_text:
        actions.add(session, person.id, action_text, source="feedback", source_id=exchange.id)
    submission.exchange_id = exchange.id
    session.flush()
    session.refresh(exchange)
    return exchange


def _store(session, exchange: Exchange, submission: Submission) -> Exchange:
    session.add(exchange)
    session.flush()
    submission.exchange_id = exchange.id
    session.flush()
    return exchange


def to_intervisie(session, exchange: Exchange, person: Person) -> CaseIdea:
    """One tap: the theme becomes a draft help question in the person's list of case ideas."""
    theme = exchange.takeaway or exchange.title
    text = f"{exchange.title}: {theme}"[:500] if exchange.takeaway else theme[:500]
    # A second tap (or the same exchange again later) keeps one idea, not a list of copies.
    existing = session.scalar(select(CaseIdea).where(CaseIdea.owner_id == person.id, CaseIdea.text == text).limit(1))
    if existing is not None:
        return existing
    idea = CaseIdea(owner_id=person.id, text=text)
    session.add(idea)
    session.flush()
    return idea


def case_ideas(session, person_id: int) -> list[CaseIdea]:
    return list(session.scalars(select(CaseIdea).where(CaseIdea.owner_id == person_id)
                                .order_by(CaseIdea.created_at.desc(), CaseIdea.id.desc())))


def delete_case_idea(session, idea_id: int, person_id: int) -> bool:
    return session.execute(delete(CaseIdea).where(CaseIdea.id == idea_id, CaseIdea.owner_id == person_id)).rowcount == 1


# Deleting one's own words ---------------------------------------------------------------------------

def delete_contribution(session, exchange: Exchange, person_id: int) -> None:
    """Remove what this person wrote in the exchange. What the other wrote stays theirs; when
    nothing of either is left, the exchange goes."""
    title_owner = exchange.giver_id if exchange.kind == UNASKED else exchange.subject_id
    if title_owner == person_id:
        exchange.title = ""
    if exchange.subject_id == person_id:
        for name in ("takeaway", *REFLECTION_FIELDS):
            setattr(exchange, name, "")
        exchange.subject_id = None
        if exchange.status == OPEN:
            exchange.status = EXPIRED  # nobody should answer a withdrawn request
    if exchange.giver_id == person_id:
        for name in ANSWER_FIELDS:
            setattr(exchange, name, "")
        exchange.giver_id = None
    words = ("title", "takeaway", *REFLECTION_FIELDS, *ANSWER_FIELDS)
    if not any(getattr(exchange, name) for name in words) or (exchange.subject_id is None and exchange.giver_id is None):
        session.delete(exchange)
    session.flush()


def erase_person(session, person: Person) -> None:
    """Account deletion (hooks.Eraser): their words go; the other's words stay with the other."""
    for exchange in session.scalars(select(Exchange).where(
            or_(Exchange.subject_id == person.id, Exchange.giver_id == person.id))).all():
        delete_contribution(session, exchange, person.id)
    session.execute(delete(CaseIdea).where(CaseIdea.owner_id == person.id))
    session.execute(delete(Submission).where(Submission.person_id == person.id))


def export_person(session, person: Person) -> dict:
    """Everything feedback keeps about this person, with their own words and what they received."""
    names = dict(session.execute(select(Person.id, Person.name)).all())
    exchanges = []
    for ex in mine(session, person):
        mine_as_subject = ex.subject_id == person.id
        entry = {"kind": ex.kind, "status": ex.status, "created_at": ex.created_at.isoformat(),
                 "role": "subject" if mine_as_subject else "giver",
                 "colleague": names.get(ex.giver_id if mine_as_subject else ex.subject_id),
                 "title": ex.title, "answered_at": ex.answered_at.isoformat() if ex.answered_at else None}
        entry.update({name: getattr(ex, name) for name in (*REFLECTION_FIELDS, *ANSWER_FIELDS)})
        if mine_as_subject:
            entry["takeaway"] = ex.takeaway
        exchanges.append(entry)
    return {"exchanges": exchanges,
            "case_ideas": [{"text": i.text, "created_at": i.created_at.isoformat()}
                           for i in case_ideas(session, person.id)]}


# Looking back -----------------------------------------------------------------------------------

def mine(session, person: Person, colleague_id: int | None = None) -> list[Exchange]:
    """The person's own timeline: exchanges where they are subject or giver, newest first."""
    query = select(Exchange).where(or_(Exchange.subject_id == person.id, Exchange.giver_id == person.id))
    if colleague_id:
        query = query.where(or_(Exchange.subject_id == colleague_id, Exchange.giver_id == colleague_id))
    return list(session.scalars(query.order_by(Exchange.created_at.desc(), Exchange.id.desc())))


def open_for(session, person: Person) -> tuple[list[Exchange], list[Exchange]]:
    """What waits for the person, in one query: requests to answer (they are asked to give
    feedback), and feedback they received and have not closed yet (their solo reflections
    included); each oldest first."""
    to_answer: list[Exchange] = []
    to_close: list[Exchange] = []
    for ex in session.scalars(_open_for_query(), {"person_id": person.id}):
        (to_answer if ex.status == OPEN else to_close).append(ex)  # the two branches' statuses differ
    return to_answer, to_close


@cache
def _open_for_query():
    # On Vandaag: built once, the person bound per call (docs/architecture.md, "Serving").
    return select(Exchange).where(or_(
        and_(Exchange.giver_id == bindparam("person_id"), Exchange.status == OPEN, Exchange.kind == REQUEST),
        and_(Exchange.subject_id == bindparam("person_id"), Exchange.status == ANSWERED))).order_by(Exchange.created_at)


def loop_counts(exchanges: list[Exchange], person_id: int) -> list[tuple[str, Counter]]:
    """Per month (newest first): how often this person wrote along each loop, in their own
    reflections and in the feedback they gave."""
    months: dict[str, Counter] = {}
    for ex in exchanges:
        loops = ex.reflection_loops() if ex.subject_id == person_id else ex.answer_loops()
        month = ex.created_at.strftime("%Y-%m")
        months.setdefault(month, Counter()).update(loops)
    return sorted(months.items(), reverse=True)


def counterparts(session, person: Person) -> list[Person]:
    """The colleagues this person exchanged feedback with (for the timeline filter)."""
    ids = set()
    for subject_id, giver_id in session.execute(select(Exchange.subject_id, Exchange.giver_id).where(
            or_(Exchange.subject_id == person.id, Exchange.giver_id == person.id))):
        ids.update({subject_id, giver_id})
    ids -= {None, person.id}
    return list(session.scalars(select(Person).where(Person.id.in_(ids)).order_by(Person.name))) if ids else []


def team_counts(session, team_id: int, now: datetime, months: int = 6) -> list[tuple[str, int, int]]:
    """For a team lead: per month, how many exchanges with a colleague and how many solo
    reflections were started by members of the team. Counts only: no content, no names."""
    members = select(Membership.person_id).where(Membership.team_id == team_id)
    since = now - timedelta(days=31 * months)
    rows = session.execute(select(Exchange.kind, Exchange.created_at).where(
        Exchange.created_at >= since,
        or_(Exchange.subject_id.in_(members), Exchange.giver_id.in_(members))))
    per_month: dict[str, list[int]] = {}
    for kind, created in rows:
        counts = per_month.setdefault(created.strftime("%Y-%m"), [0, 0])
        counts[1 if kind == SOLO else 0] += 1
    return [(month, pair[0], pair[1]) for month, pair in sorted(per_month.items(), reverse=True)]


# Reminders and expiry ---------------------------------------------------------------------------

def due_for_reminder(session, now: datetime, after: timedelta) -> list[Exchange]:
    return list(session.scalars(select(Exchange).where(
        Exchange.kind == REQUEST, Exchange.status == OPEN, Exchange.reminded_at.is_(None),
        Exchange.created_at <= now - after, Exchange.expires_at > now)))


def mark_reminded(session, exchange: Exchange, now: datetime) -> bool:
    """True for the one worker that marks it (several may run)."""
    return session.execute(update(Exchange).where(Exchange.id == exchange.id, Exchange.reminded_at.is_(None))
                           .values(reminded_at=now)).rowcount == 1


def due_for_expiry(session, now: datetime) -> list[Exchange]:
    return list(session.scalars(select(Exchange).where(
        Exchange.kind == REQUEST, Exchange.status == OPEN, Exchange.expires_at <= now)))


def expire(session, exchange: Exchange, now: datetime) -> bool:
    return session.execute(update(Exchange).where(Exchange.id == exchange.id, Exchange.status == OPEN)
                           .values(status=EXPIRED, expired_at=now)).rowcount == 1


def count_all(session) -> int:
    return session.scalar(select(func.count()).select_from(Exchange))
