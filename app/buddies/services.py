"""The rules of buddies: schemes, who is in the pool, drafts, locks, vetoes, publishing, pauses and
private exclusions. Functions take plain values and a session; they add and flush, never commit."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from app.accounts import services as accounts
from app.accounts.models import Membership, Person, Role, Team
from app.buddies import matching
from app.buddies.models import (
    BuddyGroup, Exclusion, GroupMember, Onboarding, Pause, Rotation, Scheme, SchemeTeam, Veto,
)
from app.models_base import utcnow
from app.timezone import AMSTERDAM

PUBLISH_HOUR = 8          # an automatic rotation is published at 08:00 on its day
HISTORY_ROTATIONS = 24    # earlier rotations the matching looks at
PAUSE_REASONS = ("leave", "holiday", "sick")


def N_(text: str) -> str:
    """Marks a message for translation; the view translates it where it is shown."""
    return text


class BuddyError(Exception):
    """Something a person asked that cannot be done; `field` says where the message belongs."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Settings:
    name: str
    team_ids: list[int]
    org_wide: bool = False
    every_weeks: int = 6
    weekday: int = 0
    mix: int = 2
    cross_team: int = 1
    window: int = 4
    auto_publish: bool = False
    first_on: date | None = None


# Access ----------------------------------------------------------------------------------------

def led_teams(session, person: Person) -> list[Team]:
    """Teams this person may make a scheme for: the teams they lead (an admin: every team)."""
    if person.is_admin:
        return list(session.scalars(select(Team).where(Team.organisation_id == person.organisation_id)
                                    .order_by(Team.name)))
    return sorted((m.team for m in person.memberships if m.role == Role.LEAD), key=lambda t: t.name.lower())


def scheme_team_ids(session, scheme: Scheme) -> list[int]:
    if scheme.org_wide:
        return list(session.scalars(select(Team.id).where(Team.organisation_id == scheme.organisation_id)))
    return [t.team_id for t in scheme.teams]


def can_manage(session, person: Person, scheme: Scheme) -> bool:
    """Admins manage every scheme of their organisation; a lead the schemes of teams they all lead."""
    if scheme.organisation_id != person.organisation_id:
        return False
    if person.is_admin:
        return True
    if scheme.org_wide:
        return False
    led = {t.id for t in led_teams(session, person)}
    return bool(scheme.teams) and all(t.team_id in led for t in scheme.teams)


def knows_scheme(session, person: Person, scheme: Scheme) -> bool:
    """Whoever is in a scheme's teams knows it exists (403 for them, 404 for everyone else)."""
    if scheme.organisation_id != person.organisation_id:
        return False
    teams = set(scheme_team_ids(session, scheme))
    return bool(teams & {m.team_id for m in person.memberships})


def schemes_managed(session, person: Person) -> list[Scheme]:
    if not accounts.leads_a_team(person):
        return []  # only leads and admins manage a scheme (can_manage): most people ask nothing
    query = select(Scheme).where(Scheme.organisation_id == person.organisation_id).order_by(Scheme.name)
    if not person.is_admin:
        query = query.options(selectinload(Scheme.teams))  # can_manage reads a lead's schemes' teams
    schemes = session.scalars(query)
    return [s for s in schemes if can_manage(session, person, s)]


# Schemes ---------------------------------------------------------------------------------------

def next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def create_scheme(session, person: Person, settings: Settings, today: date) -> Scheme:
    allowed = {t.id for t in led_teams(session, person)}
    if settings.org_wide and not person.is_admin:
        raise BuddyError("org_wide", N_("Alleen een beheerder maakt een schema voor de hele organisatie."))
    if not settings.org_wide and (not settings.team_ids or not set(settings.team_ids) <= allowed):
        raise BuddyError("teams", N_("Kies een of meer teams die je leidt."))
    scheme = Scheme(organisation_id=person.organisation_id, created_by_id=person.id,
                    seed=random.SystemRandom().randrange(2**31))
    apply_settings(scheme, settings, today)
    if not settings.org_wide:
        scheme.teams = [SchemeTeam(team_id=t) for t in sorted(set(settings.team_ids))]
    session.add(scheme)
    session.flush()
    return scheme


def apply_settings(scheme: Scheme, settings: Settings, today: date) -> None:
    scheme.name = settings.name
    scheme.org_wide = settings.org_wide
    scheme.every_weeks = settings.every_weeks
    scheme.weekday = settings.weekday
    scheme.mix = settings.mix
    scheme.cross_team = settings.cross_team
    scheme.window = settings.window
    scheme.auto_publish = settings.auto_publish
    first = settings.first_on or scheme.next_on or today + timedelta(days=1)
    scheme.next_on = next_weekday(max(first, today), settings.weekday)


# The pool --------------------------------------------------------------------------------------

@dataclass
class Pool:
    people: dict[int, Person]
    candidates: list[matching.Candidate]
    paused: set[int]
    forbidden: set[tuple[int, int]]   # private exclusions: never shown with names
    excluded_pairs: int


def pool(session, scheme: Scheme, on: date) -> Pool:
    """Everyone in the scheme's teams. A lead takes part only if someone in the pool is outside
    every team they lead (a lead is never paired with their own team)."""
    team_ids = set(scheme_team_ids(session, scheme))
    rows = session.execute(select(Membership.person_id, Membership.team_id, Membership.role)
                           .where(Membership.team_id.in_(team_ids))).all()
    teams: dict[int, set] = {}
    leads: dict[int, set] = {}
    for person_id, team_id, role in rows:
        teams.setdefault(person_id, set()).add(team_id)
        if role == Role.LEAD:
            leads.setdefault(person_id, set()).add(team_id)
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(teams)))}
    ids = set(people)
    for lead_id, led in list(leads.items()):
        if all(teams[other] & led for other in ids - {lead_id}):
            ids.discard(lead_id)
    candidates = [matching.Candidate(pid, people[pid].experience_years, frozenset(teams[pid]),
                                     frozenset(leads.get(pid, ()))) for pid in sorted(ids)]
    paused = set(session.scalars(select(Pause.person_id).where(Pause.person_id.in_(ids), Pause.until >= on)))
    forbidden = {tuple(sorted(pair)) for pair in session.execute(
        select(Exclusion.person_id, Exclusion.excluded_id).where(Exclusion.person_id.in_(ids),
                                                                 Exclusion.excluded_id.in_(ids))).all()}
    return Pool({pid: people[pid] for pid in ids}, candidates, paused, forbidden, len(forbidden))


def history(session, scheme: Scheme, before: int | None = None) -> list[list[tuple[int, ...]]]:
    """Published rotations, most recent first, as lists of groups of person ids."""
    query = select(Rotation).where(Rotation.scheme_id == scheme.id, Rotation.status == "published")
    if before is not None:
        query = query.where(Rotation.number < before)
    rotations = session.scalars(query.order_by(Rotation.number.desc()).limit(HISTORY_ROTATIONS))
    return [[g.member_ids for g in r.groups] for r in rotations]


def onboarding_pairs(session, scheme: Scheme) -> list[Onboarding]:
    return list(session.scalars(select(Onboarding).where(Onboarding.scheme_id == scheme.id,
                                                         Onboarding.released_at.is_(None))))


# Drafts ----------------------------------------------------------------------------------------

def draft(session, scheme: Scheme) -> Rotation | None:
    return session.scalar(select(Rotation).where(Rotation.scheme_id == scheme.id, Rotation.status == "draft"))


def latest(session, scheme: Scheme) -> Rotation | None:
    return session.scalar(select(Rotation).where(Rotation.scheme_id == scheme.id, Rotation.status == "published")
                          .order_by(Rotation.number.desc()).limit(1))


def compute(session, scheme: Scheme, *, fresh: bool = False) -> Rotation:
    """Make (or remake) the draft for the next rotation: locks and vetoes kept, the rest matched
    anew. `fresh` (the lead's "Bereken opnieuw") tries another seed."""
    rotation = draft(session, scheme)
    if rotation is not None and fresh:
        rotation.attempt = (rotation.attempt or 0) + 1
    if rotation is None:
        last = latest(session, scheme)
        rotation = Rotation(scheme_id=scheme.id, number=(last.number + 1) if last else 1, starts_on=scheme.next_on)
        session.add(rotation)
        session.flush()
    rotation.starts_on = scheme.next_on
    members = pool(session, scheme, rotation.starts_on)
    locks = [g.member_ids for g in rotation.groups if g.locked and not g.onboarding]
    onboarding = {tuple(sorted((o.newcomer_id, o.buddy_id))) for o in onboarding_pairs(session, scheme)}
    vetoes = {(v.low_id, v.high_id) for v in session.scalars(select(Veto).where(Veto.rotation_id == rotation.id))}
    result = matching.match(
        members.candidates, forbidden=members.forbidden | vetoes, paused=members.paused,
        locks=[*onboarding, *(lock for lock in locks if lock not in onboarding)],
        history=history(session, scheme, before=rotation.number),
        weights=matching.Weights(mix=scheme.mix, cross_team=scheme.cross_team, window=scheme.window),
        seed=scheme.seed + 1000 * rotation.number + (rotation.attempt or 0))
    rotation.groups.clear()
    session.flush()
    for group in result.groups:
        rotation.groups.append(BuddyGroup(
            reasons=[list(r) for r in group.reasons], locked=group.locked,
            onboarding=group.members in onboarding,
            members=[GroupMember(person_id=pid) for pid in group.members]))
    rotation.unmatched = list(result.unmatched)
    rotation.dropped_locks = len(result.dropped_locks)
    session.flush()
    return rotation


def group_in_draft(session, scheme: Scheme, group_id: int) -> BuddyGroup | None:
    group = session.get(BuddyGroup, group_id)
    if group is None or group.rotation.scheme_id != scheme.id or group.rotation.status != "draft":
        return None
    return group


def toggle_lock(session, group: BuddyGroup) -> None:
    if not group.onboarding:   # an onboarding pair stays until the lead releases it
        group.locked = not group.locked
    session.flush()


def veto(session, scheme: Scheme, group: BuddyGroup) -> Rotation:
    """Rule out every pair of this group for this rotation, then recompute."""
    ids = group.member_ids
    for i, low in enumerate(ids):
        for high in ids[i + 1:]:
            if session.get(Veto, (group.rotation_id, low, high)) is None:
                session.add(Veto(rotation_id=group.rotation_id, low_id=low, high_id=high))
    group.locked = False
    session.flush()
    return compute(session, scheme)


def publish(session, scheme: Scheme, rotation: Rotation, now: datetime) -> bool:
    """Publish the draft once (a guarded UPDATE: two workers or two taps publish it once) and
    move the scheme's next day on by its period."""
    done = session.execute(update(Rotation).where(Rotation.id == rotation.id, Rotation.status == "draft")
                           .values(status="published", published_at=now)).rowcount
    if done != 1:
        return False
    session.refresh(rotation)
    today = now.astimezone(AMSTERDAM).date()
    scheme.next_on = next_weekday(max(scheme.next_on, today) + timedelta(weeks=scheme.every_weeks), scheme.weekday)
    session.execute(delete(Veto).where(Veto.rotation_id == rotation.id))
    session.flush()
    return True


def publish_moment(scheme: Scheme) -> datetime:
    return datetime.combine(scheme.next_on, time(PUBLISH_HOUR), tzinfo=AMSTERDAM)


# The lead's view ---------------------------------------------------------------------------------

def rotations(session, scheme: Scheme) -> list[Rotation]:
    return list(session.scalars(select(Rotation).where(Rotation.scheme_id == scheme.id,
                                                       Rotation.status == "published")
                                .order_by(Rotation.number.desc())))


def spread(session, scheme: Scheme) -> list[tuple[Person, int]]:
    """How many different colleagues each person in the pool has been paired with: counts only."""
    members = pool(session, scheme, utcnow().astimezone(AMSTERDAM).date())
    partners: dict[int, set] = {pid: set() for pid in members.people}
    for rotation in history(session, scheme):
        for group in rotation:
            for pid in group:
                partners.setdefault(pid, set()).update(set(group) - {pid})
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(partners)))}
    return sorted(((people[pid], len(v)) for pid, v in partners.items() if pid in people),
                  key=lambda pc: pc[0].name)


def set_onboarding(session, scheme: Scheme, newcomer_id: int, buddy_id: int) -> Onboarding:
    members = pool(session, scheme, utcnow().astimezone(AMSTERDAM).date())
    if newcomer_id not in members.people:
        raise BuddyError("newcomer", N_("Kies iemand uit dit schema."))
    if buddy_id not in members.people or buddy_id == newcomer_id:
        raise BuddyError("buddy", N_("Kies een andere collega uit dit schema."))
    busy = {x for o in onboarding_pairs(session, scheme) for x in (o.newcomer_id, o.buddy_id)}
    if newcomer_id in busy:
        raise BuddyError("newcomer", N_("Deze collega heeft al een inwerkbuddy."))
    if buddy_id in busy:
        raise BuddyError("buddy", N_("Deze collega is al inwerkbuddy."))
    candidates = {c.id: c for c in members.candidates}
    a, b = candidates[newcomer_id], candidates[buddy_id]
    if (a.leads & b.teams) or (b.leads & a.teams):
        raise BuddyError("buddy", N_("Een teamleider is geen buddy van iemand uit het eigen team."))
    onboarding = Onboarding(scheme_id=scheme.id, newcomer_id=newcomer_id, buddy_id=buddy_id)
    session.add(onboarding)
    session.flush()
    return onboarding


def release_onboarding(session, scheme: Scheme, onboarding_id: int, now: datetime) -> bool:
    onboarding = session.get(Onboarding, onboarding_id)
    if onboarding is None or onboarding.scheme_id != scheme.id or onboarding.released_at:
        return False
    onboarding.released_at = now
    session.flush()
    return True


def set_experience(session, person: Person, years: int | None) -> None:
    """Years in the field, set by the person or their lead. (Person is accounts' model, but this
    one field exists for buddy matching.)"""
    person.experience_years = years
    session.flush()


# A person's own settings -----------------------------------------------------------------------

def colleagues(session, person: Person) -> list[Person]:
    """People who share a team with this person (whom they could exclude)."""
    team_ids = select(Membership.team_id).where(Membership.person_id == person.id)
    return list(session.scalars(select(Person).join(Membership).where(
        Membership.team_id.in_(team_ids), Person.id != person.id).distinct().order_by(Person.name)))


def org_colleagues(session, person: Person) -> list[Person]:
    return list(session.scalars(select(Person).where(Person.organisation_id == person.organisation_id,
                                                     Person.id != person.id).order_by(Person.name)))


def exclude(session, person: Person, other_id: int) -> None:
    other = session.get(Person, other_id) if other_id else None
    if other is None or other.organisation_id != person.organisation_id or other.id == person.id:
        raise BuddyError("colleague", N_("Kies een collega."))
    if session.get(Exclusion, (person.id, other.id)) is None:
        session.add(Exclusion(person_id=person.id, excluded_id=other.id))
    session.flush()


def unexclude(session, person: Person, other_id: int) -> None:
    session.execute(delete(Exclusion).where(Exclusion.person_id == person.id, Exclusion.excluded_id == other_id))
    session.flush()


def my_exclusions(session, person: Person) -> list[Person]:
    return list(session.scalars(select(Person).join(Exclusion, Exclusion.excluded_id == Person.id)
                                .where(Exclusion.person_id == person.id).order_by(Person.name)))


def set_pause(session, person: Person, reason: str, until: date, today: date) -> Pause:
    if reason not in PAUSE_REASONS:
        raise BuddyError("reason", N_("Kies een reden."))
    if until < today:
        raise BuddyError("until", N_("Kies een datum vanaf vandaag."))
    pause = session.get(Pause, person.id) or Pause(person_id=person.id)
    pause.reason, pause.until = reason, until
    session.add(pause)
    session.flush()
    return pause


def end_pause(session, person: Person) -> None:
    session.execute(delete(Pause).where(Pause.person_id == person.id))
    session.flush()


def my_pause(session, person: Person, today: date) -> Pause | None:
    pause = session.get(Pause, person.id)
    return pause if pause is not None and pause.until >= today else None


# What a person sees ----------------------------------------------------------------------------

@dataclass(frozen=True)
class MyGroup:
    scheme: Scheme
    rotation: Rotation
    group: BuddyGroup
    buddies: list[Person]


def my_groups(session, person_id: int, *, current_only: bool = True) -> list[MyGroup]:
    """The person's groups in published rotations (only each scheme's latest, by default), with
    their buddies, in two queries however many groups and schemes there are."""
    seen, out = set(), []
    for group, rotation, scheme in session.execute(_my_groups_query(current_only), {"person_id": person_id}).all():
        if current_only:
            if scheme.id in seen:
                continue
            seen.add(scheme.id)
        buddies = sorted((m.person for m in group.members if m.person_id != person_id), key=lambda p: p.name)
        out.append(MyGroup(scheme, rotation, group, buddies))
    return out


@cache
def _my_groups_query(current_only: bool):
    # On Vandaag: built once per variant, the person bound per call. Building it (its loader
    # options above all) cost several times what running it does (docs/architecture.md, "Serving").
    query = (select(BuddyGroup, Rotation, Scheme).join(GroupMember).join(Rotation)
             .join(Scheme, Scheme.id == Rotation.scheme_id)
             .where(GroupMember.person_id == bindparam("person_id"), Rotation.status == "published")
             .options(selectinload(BuddyGroup.members).joinedload(GroupMember.person))
             .order_by(Rotation.published_at.desc(), Rotation.id.desc()))
    if current_only:
        newest = (select(Rotation.scheme_id, func.max(Rotation.number).label("number"))
                  .where(Rotation.status == "published").group_by(Rotation.scheme_id).subquery())
        query = query.join(newest, and_(newest.c.scheme_id == Rotation.scheme_id, newest.c.number == Rotation.number))
    return query


def current_buddies(session, person_id: int) -> list[int]:
    """Person ids of this person's current buddies (the feedback form's default)."""
    return sorted({b.id for g in my_groups(session, person_id) for b in g.buddies})


# Scheduled work --------------------------------------------------------------------------------

def due_schemes(session, now: datetime) -> list[tuple[Scheme, str]]:
    """Schemes with automatic publishing: ("notice", s) within a day before, ("publish", s) when due."""
    today = now.astimezone(AMSTERDAM).date()
    schemes = session.scalars(select(Scheme).where(Scheme.auto_publish.is_(True),
                                                   Scheme.next_on <= today + timedelta(days=2)))
    out = []
    for scheme in schemes:
        moment = publish_moment(scheme)
        if now >= moment:
            out.append((scheme, "publish"))
        elif now >= moment - timedelta(days=1):
            out.append((scheme, "notice"))
    return out


def scheme_leads(session, scheme: Scheme) -> list[int]:
    """Who is told before an automatic publish: the scheme's team leads, its maker and, for an
    organisation-wide scheme, the admins."""
    ids = set()
    if scheme.created_by_id:
        ids.add(scheme.created_by_id)
    if scheme.org_wide:
        ids |= set(session.scalars(select(Person.id).where(Person.organisation_id == scheme.organisation_id,
                                                           Person.is_admin.is_(True))))
    else:
        ids |= set(session.scalars(select(Membership.person_id).where(
            Membership.team_id.in_([t.team_id for t in scheme.teams]), Membership.role == Role.LEAD)))
    return sorted(ids)


# Privacy -----------------------------------------------------------------------------------------

def export(session, person: Person) -> dict:
    today = utcnow().astimezone(AMSTERDAM).date()
    pause = session.get(Pause, person.id)
    return {
        "history": [{"scheme": g.scheme.name, "rotation": g.rotation.number,
                     "starts_on": g.rotation.starts_on.isoformat(), "buddies": [b.name for b in g.buddies]}
                    for g in my_groups(session, person.id, current_only=False)],
        "pause": {"reason": pause.reason, "until": pause.until.isoformat(),
                  "active": pause.until >= today} if pause else None,
        "exclusions": [p.name for p in my_exclusions(session, person)],
    }


def erase(session, person: Person) -> None:
    """Remove the person's pause, exclusions (both ways), onboarding pairs and group places."""
    session.execute(delete(Pause).where(Pause.person_id == person.id))
    session.execute(delete(Exclusion).where(or_(Exclusion.person_id == person.id,
                                                Exclusion.excluded_id == person.id)))
    session.execute(delete(Onboarding).where(or_(Onboarding.newcomer_id == person.id,
                                                 Onboarding.buddy_id == person.id)))
    session.execute(delete(Veto).where(or_(Veto.low_id == person.id, Veto.high_id == person.id)))
    session.execute(delete(GroupMember).where(GroupMember.person_id == person.id))
    session.flush()
