"""The rules of accounts: one-time links, setup, invites, recovery, roles and access.

Functions take plain values and a session; they add and flush, never commit (the view commits
once per request).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts import login_sessions
from app.accounts.audit import record_event
from app.accounts.models import (
    AccessLink,
    LinkPurpose,
    Membership,
    Organisation,
    Passkey,
    Person,
    Role,
    Team,
)
from app.models_base import utcnow
from app.tokens import hash_token, new_token


class LinkUnusable(Exception):
    """The link is unknown, used or expired. `reason` says which, for a friendly page."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class NotAllowed(Exception):
    """The person knows the thing and may not do this (403)."""


class Unknown(Exception):
    """Nothing by that id that this person may see (404)."""


class LastPasskey(Exception):
    """Removing this passkey would lock the person out."""


@dataclass(frozen=True)
class IssuedLink:
    link: AccessLink
    token: str


def issue_link(session, purpose: LinkPurpose, lifetime: timedelta, **fields) -> IssuedLink:
    """Create a one-time link; the token is returned once and only its hash is stored."""
    token = new_token()
    link = AccessLink(purpose=purpose, token_hash=hash_token(token), expires_at=utcnow() + lifetime, **fields)
    session.add(link)
    session.flush()
    return IssuedLink(link, token)


def find_link(session, token: str, purpose: LinkPurpose) -> AccessLink:
    """The usable link for a token, or LinkUnusable with the reason."""
    if not token or len(token) > 100:
        raise LinkUnusable("unknown")
    link = session.scalar(select(AccessLink).where(AccessLink.token_hash == hash_token(token)))
    if link is None or link.purpose != purpose:
        raise LinkUnusable("unknown")
    if link.used_at is not None:
        raise LinkUnusable("used")
    if link.expires_at < utcnow():
        raise LinkUnusable("expired")
    if purpose == LinkPurpose.SETUP and organisation_exists(session):
        raise LinkUnusable("used")
    return link


def consume_link(session, link_id: int) -> None:
    """Mark a link used; the guard on used_at makes two racing uses end in one."""
    done = session.execute(
        update(AccessLink).where(AccessLink.id == link_id, AccessLink.used_at.is_(None))
        .values(used_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount
    if done != 1:
        raise LinkUnusable("used")


def organisation_exists(session) -> bool:
    return session.scalar(select(func.count(Organisation.id))) > 0


def issue_setup_link(session, hours: int) -> IssuedLink | None:
    """A fresh setup link while there is no organisation yet; older unused ones stop working."""
    if organisation_exists(session):
        return None
    session.execute(
        update(AccessLink).where(AccessLink.purpose == LinkPurpose.SETUP, AccessLink.used_at.is_(None))
        .values(expires_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    return issue_link(session, LinkPurpose.SETUP, timedelta(hours=hours))


def create_organisation(session, *, organisation_name: str, team_name: str, person_name: str) -> Person:
    """The first person: organisation admin and lead of the first team."""
    organisation = Organisation(name=organisation_name)
    team = Team(name=team_name, organisation=organisation)
    person = Person(name=person_name, organisation=organisation, is_admin=True)
    session.add_all([organisation, team, person])
    session.add(Membership(person=person, team=team, role=Role.LEAD))
    session.flush()
    return person


def issue_invite(session, *, team: Team, role: str, make_admin: bool, email: str | None,
                 created_by: Person | None, days: int) -> IssuedLink:
    issued = issue_link(
        session, LinkPurpose.INVITE, timedelta(days=days), organisation_id=team.organisation_id,
        team_id=team.id, role=role, make_admin=make_admin, email=email or None,
        created_by_id=created_by.id if created_by else None,
    )
    record_event(session, "invite_issued", organisation_id=team.organisation_id,
                 actor_id=created_by.id if created_by else None, team_id=team.id, role=role, admin=make_admin)
    return issued


def accept_invite(session, link: AccessLink, *, person_name: str) -> Person:
    """Create the invited person in the link's team with the link's role."""
    person = Person(
        name=person_name, organisation_id=link.organisation_id, email=link.email,
        is_admin=link.make_admin,
    )
    session.add(person)
    role = link.role or Role.MEMBER
    session.add(Membership(person=person, team_id=link.team_id, role=role))
    session.flush()
    record_event(session, "invite_used", organisation_id=link.organisation_id, subject_id=person.id,
                 actor_id=person.id, team_id=link.team_id, role=role, admin=link.make_admin)
    return person


def invite_recipients(session, link: AccessLink) -> list[int]:
    """Who hears that an invite was accepted: its sender, or else the team's leads."""
    if link.created_by_id:
        return [link.created_by_id]
    return list(session.scalars(select(Membership.person_id).where(
        Membership.team_id == link.team_id, Membership.role == Role.LEAD)))


def may_issue_recovery(session, issuer: Person, person: Person) -> bool:
    """Who may hand out a recovery link, which registers a new passkey on `person`'s account.

    Never for oneself. An admin may for anyone in the organisation (for another admin too, but
    that is logged and the admin is told). A lead only for plain members of a team they lead:
    never for an admin or for anyone who leads a team, so a lead cannot take over a higher role.
    """
    if issuer.id == person.id or issuer.organisation_id != person.organisation_id:
        return False
    if issuer.is_admin:
        return True
    if leads_a_team(person):
        return False
    return any(can_lead(session, issuer, m.team) for m in person.memberships)


def issue_recovery(session, *, person: Person, issued_by: Person, hours: int) -> IssuedLink:
    """A link that lets someone who lost their phone register a new passkey.

    The person's older unused recovery links stop working: only the newest one is in play.
    """
    if not may_issue_recovery(session, issued_by, person):
        raise NotAllowed()
    now = utcnow()
    session.execute(
        update(AccessLink).where(AccessLink.purpose == LinkPurpose.RECOVERY, AccessLink.person_id == person.id,
                                 AccessLink.used_at.is_(None), AccessLink.expires_at > now)
        .values(expires_at=now),
        execution_options={"synchronize_session": False},
    )
    issued = issue_link(
        session, LinkPurpose.RECOVERY, timedelta(hours=hours), organisation_id=person.organisation_id,
        person_id=person.id, created_by_id=issued_by.id,
    )
    record_event(session, "recovery_issued", organisation_id=person.organisation_id, subject_id=person.id,
                 actor_id=issued_by.id, admin=person.is_admin)
    return issued


def recover(session, link: AccessLink) -> Person:
    """After a recovery, every old session ends: the lost phone may be in someone else's hands."""
    person = session.get(Person, link.person_id)
    ended = login_sessions.end_sessions(session, person.id)
    record_event(session, "recovery_used", organisation_id=person.organisation_id, subject_id=person.id,
                 actor_id=person.id)
    if ended:
        record_event(session, "sessions_ended", organisation_id=person.organisation_id, subject_id=person.id,
                     actor_id=person.id, count=ended, reason="recovery")
    return person


def remove_passkey(session, person: Person, passkey_id: int, *, keep_session_id: int | None) -> Passkey:
    """Remove one of a person's passkeys and end their other sessions.

    The removed passkey may sit on a lost or handed-on device that is still signed in; which
    device that is cannot be told for sure, so every session but the one asking ends.
    """
    passkey = session.get(Passkey, passkey_id)
    if passkey is None or passkey.person_id != person.id:
        raise Unknown()
    if len(person.passkeys) <= 1:
        raise LastPasskey()
    session.delete(passkey)
    person.passkeys.remove(passkey)
    record_event(session, "passkey_removed", organisation_id=person.organisation_id, subject_id=person.id,
                 actor_id=person.id, passkey=passkey.label)
    ended = login_sessions.end_sessions(session, person.id, keep_id=keep_session_id)
    if ended:
        record_event(session, "sessions_ended", organisation_id=person.organisation_id, subject_id=person.id,
                     actor_id=person.id, count=ended, reason="passkey_removed")
    return passkey


class NameTaken(Exception):
    """Another team of the organisation has this name (perhaps made a moment ago, in parallel)."""


def create_team(session, organisation: Organisation, name: str, lead: Person) -> Team:
    """A new team led by `lead`; NameTaken when the name is in use, also by a team that a
    parallel request made after `team_name_taken` looked (the unique constraint decides)."""
    if team_name_taken(session, organisation.id, name):
        raise NameTaken(name)
    try:
        # Ids, not relationships: nothing may join the session outside the savepoint.
        with session.begin_nested():
            team = Team(name=name, organisation_id=organisation.id)
            session.add(team)
            session.flush()
            session.add(Membership(person_id=lead.id, team_id=team.id, role=Role.LEAD))
    except IntegrityError as exc:
        raise NameTaken(name) from exc
    return team


def team_name_taken(session, organisation_id: int, name: str) -> bool:
    return session.scalar(
        select(func.count(Team.id)).where(Team.organisation_id == organisation_id,
                                          func.lower(Team.name) == name.strip().lower())
    ) > 0


# Access rules -------------------------------------------------------------------------------

def membership(session, person: Person, team_id: int) -> Membership | None:
    return session.get(Membership, (person.id, team_id))


def team_for(session, person: Person, team_id: int) -> Team | None:
    """The team if this person may see it (a member, or an admin of its organisation)."""
    team = session.get(Team, team_id)
    if team is None or team.organisation_id != person.organisation_id:
        return None
    if person.is_admin or membership(session, person, team_id) is not None:
        return team
    return None


def can_lead(session, person: Person, team: Team) -> bool:
    """The one "is lead" rule: leads of the team and admins of its organisation. They invite,
    issue recovery links, and (in intervisie) plan rounds and see their planning data."""
    if team.organisation_id != person.organisation_id:
        return False
    if person.is_admin:
        return True
    m = membership(session, person, team.id)
    return m is not None and m.role == Role.LEAD


def leads_a_team(person: Person) -> bool:
    """Whether the person leads any team: an admin (every team of the organisation), or a lead
    of one. Read from the memberships the sign-in loaded, so it costs no query."""
    return person.is_admin or any(m.role == Role.LEAD for m in person.memberships)


def teams_of(session, person: Person) -> list[Team]:
    """The teams a person sees: their own, or all of the organisation for an admin."""
    if person.is_admin:
        return list(session.scalars(
            select(Team).where(Team.organisation_id == person.organisation_id).order_by(Team.name)))
    return sorted((m.team for m in person.memberships), key=lambda t: t.name.lower())


def member_counts(session, teams: list[Team]) -> dict[int, int]:
    """Team id -> how many people are in it, in one query (not by loading every membership)."""
    ids = [t.id for t in teams]
    if not ids:
        return {}
    counted = dict(session.execute(_member_counts_query(), {"ids": ids}).all())
    return {team_id: counted.get(team_id, 0) for team_id in ids}


@cache
def _member_counts_query():
    # On Vandaag: built once (docs/architecture.md, "Serving").
    return (select(Membership.team_id, func.count()).where(Membership.team_id.in_(bindparam("ids", expanding=True)))
            .group_by(Membership.team_id))


def pending_invites(session, team: Team) -> list[AccessLink]:
    return list(session.scalars(
        select(AccessLink).where(
            AccessLink.team_id == team.id, AccessLink.purpose == LinkPurpose.INVITE,
            AccessLink.used_at.is_(None), AccessLink.expires_at > utcnow(),
        ).order_by(AccessLink.created_at.desc())
    ))


def find_team_by_name(session, name: str) -> Team | None:
    return session.scalar(select(Team).where(func.lower(Team.name) == name.strip().lower()))
