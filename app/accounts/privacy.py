"""Privacy in accounts: "Mijn gegevens" (export), account deletion, retention, the privacy page.

Every feature adds its share through the hooks registry (ExportPart, Eraser, Retention, Job);
this module holds accounts' own share and the generic parts: the JSON of an export, the
readable tree the HTML page renders, who may delete their account, and the privacy page's lines.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from app.accounts import login_sessions
from app.accounts.audit import label as event_label
from app.accounts.audit import record_event
from app.accounts.models import AccessLink, AuditEvent, Organisation, Person, PersonSession, WebAuthnChallenge
from app import retention
from app.hooks import Retention


# Labels for keys any part may use; a part's own `labels` win.
COMMON_LABELS = {
    "name": _l("Naam"), "email": _l("E-mailadres"), "organisation": _l("Organisatie"),
    "is_admin": _l("Beheerder"), "locale": _l("Taal"), "experience_years": _l("Jaren ervaring"),
    "created_at": _l("Gemaakt"), "updated_at": _l("Bijgewerkt"), "teams": _l("Teams"), "team": _l("Team"),
    "role": _l("Rol"), "joined_at": _l("Lid sinds"), "passkeys": _l("Passkeys"), "label": _l("Naam"),
    "last_used_at": _l("Laatst gebruikt"), "last_seen_at": _l("Laatst actief"), "title": _l("Titel"),
    "text": _l("Tekst"), "body": _l("Bericht"), "url": _l("Link"), "read_at": _l("Gelezen"),
    "kind": _l("Soort"), "when": _l("Wanneer"), "round": _l("Ronde"), "starts_at": _l("Datum"),
    "done_at": _l("Afgerond"), "by": _l("Door"), "details": _l("Details"), "exists": _l("Bestaat"),
}


def export_person(session, person: Person, parts) -> dict:
    """Everything stored about a person: each feature's share (hooks.ExportPart), by its key."""
    return {part.key: part.collect(session, person) for part in parts}


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"not exportable: {type(value).__name__}")


def export_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_plain)


# The readable page: the same data as a tree of labelled nodes ---------------------------------

@dataclass(frozen=True)
class Node:
    """One value for the template: kind is "map" (items: [(label, Node)]), "list" (items:
    [Node]), "text", "datetime", "yes", "no" or "empty"."""

    kind: str
    value: object = None
    items: tuple = ()


def readable(value, labels: dict) -> Node:
    if isinstance(value, dict):
        return Node("map", items=tuple((str(labels.get(k) or COMMON_LABELS.get(k) or k.replace("_", " ")),
                                        readable(v, labels)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return Node("list", items=tuple(readable(v, labels) for v in value))
    if isinstance(value, bool):
        return Node("yes" if value else "no")
    if value is None or value == "":
        return Node("empty")
    if isinstance(value, datetime):
        return Node("datetime", value)
    return Node("text", str(value))


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    node: Node


def sections(data: dict, parts) -> list[Section]:
    """Each part's title and its records, in the order the parts registered."""
    return [Section(part.key, str(part.title), readable(data[part.key], part.labels))
            for part in parts if part.key in data]


# Accounts' own share of the export -----------------------------------------------------------------

ACCOUNT_LABELS = {"is_admin": _l("Beheerder van de organisatie")}
# The small facts an audit event may carry (audit.record_event's detail).
AUDIT_LABELS = {"format": _l("Formaat"), "team_id": _l("Teamnummer"), "admin": _l("Beheerder"),
                "device": _l("Apparaat"), "passkey": _l("Passkey"), "count": _l("Aantal"), "reason": _l("Reden")}
ROLES = {"member": _l("Teamlid"), "lead": _l("Teamleider")}


def export_account(_session, person: Person) -> dict:
    """Profile, teams and passkeys (metadata only: never a key or credential id)."""
    return {
        "name": person.name,
        "email": person.email,
        "organisation": person.organisation.name,
        "is_admin": person.is_admin,
        "locale": person.locale,
        "experience_years": person.experience_years,
        "created_at": person.created_at,
        "teams": [{"team": m.team.name, "role": str(ROLES.get(m.role, m.role)), "joined_at": m.joined_at}
                  for m in person.memberships],
        "passkeys": [{"label": p.label, "created_at": p.created_at, "last_used_at": p.last_used_at}
                     for p in person.passkeys],
    }


def export_sessions(session, person: Person) -> list[dict]:
    """Signed-in devices: the label and dates, never the token (only its hash is stored)."""
    rows = session.scalars(select(PersonSession).where(PersonSession.person_id == person.id)
                           .order_by(PersonSession.created_at))
    return [{"label": r.label, "created_at": r.created_at, "last_seen_at": r.last_seen_at} for r in rows]


def export_audit(session, person: Person) -> list[dict]:
    """The security events about the person's own account, as their security page shows them."""
    rows = session.scalars(select(AuditEvent).where(AuditEvent.subject_id == person.id).order_by(AuditEvent.id))
    return [{"when": e.created_at, "kind": str(event_label(e.kind)),
             "by": (_("jijzelf") if e.actor_id == person.id else e.actor.name if e.actor else None),
             "details": dict(e.detail or {})} for e in rows]


# Deletion ------------------------------------------------------------------------------------------

class LastAdmin(Exception):
    """The person is the organisation's last admin while others still use it."""


def check_deletable(session, person: Person) -> None:
    """An organisation must keep an admin: its last one cannot leave others behind without one.
    The only person of an organisation may leave; the organisation then goes with them."""
    if not person.is_admin:
        return
    others = select(func.count(Person.id)).where(Person.organisation_id == person.organisation_id,
                                                 Person.id != person.id)
    if session.scalar(others.where(Person.is_admin.is_(True))) == 0 and session.scalar(others) > 0:
        raise LastAdmin()


def erase_account(session, person: Person) -> None:
    """Accounts' share before the person row goes: sessions, pending ceremonies and links, and
    the names in security events (the events stay for the organisation, anonymous)."""
    session.execute(delete(PersonSession).where(PersonSession.person_id == person.id),
                    execution_options={"synchronize_session": False})
    session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.person_id == person.id),
                    execution_options={"synchronize_session": False})
    link_filter = AccessLink.person_id == person.id
    if person.email:
        # The invite that brought them in carries their e-mail address.
        link_filter = or_(link_filter, (AccessLink.organisation_id == person.organisation_id)
                          & (func.lower(AccessLink.email) == person.email.lower()))
    session.execute(delete(AccessLink).where(link_filter), execution_options={"synchronize_session": False})
    session.execute(update(AccessLink).where(AccessLink.created_by_id == person.id).values(created_by_id=None),
                    execution_options={"synchronize_session": False})
    # Device and passkey labels may hold a name ("Sanne's iPhone"): events about them keep none.
    for event in session.scalars(select(AuditEvent).where(AuditEvent.subject_id == person.id)):
        event.detail = {k: v for k, v in (event.detail or {}).items() if k not in ("device", "passkey")}
        event.subject_id = None
    session.flush()
    session.execute(update(AuditEvent).where(AuditEvent.actor_id == person.id).values(actor_id=None),
                    execution_options={"synchronize_session": False})


def delete_person(session, person: Person, erasers=()) -> None:
    """Delete an account: each feature removes or anonymises its share (hooks.Eraser), then the
    person row goes, with what cascades. The organisation keeps a nameless `account_deleted`
    event; an organisation left with nobody in it goes as well."""
    check_deletable(session, person)
    organisation_id, was_admin = person.organisation_id, person.is_admin
    for eraser in erasers:
        eraser.erase(session, person)
    session.delete(person)
    session.flush()
    if session.scalar(select(func.count(Person.id)).where(Person.organisation_id == organisation_id)) == 0:
        session.execute(delete(Organisation).where(Organisation.id == organisation_id),
                        execution_options={"synchronize_session": False})
        return
    record_event(session, "account_deleted", organisation_id=organisation_id, admin=was_admin)


# Retention -----------------------------------------------------------------------------------------

def purge(session, now: datetime, config) -> dict[str, int]:
    """Accounts' daily clean-up; idempotent. Returns counts (the job logs them, never names)."""
    keep_links = now - timedelta(days=config["RETENTION_LINK_DAYS"])
    policy = login_sessions.policy(config)
    options = {"synchronize_session": False}
    return {
        "links": session.execute(delete(AccessLink).where(or_(AccessLink.used_at < keep_links,
                                                              AccessLink.expires_at < keep_links)),
                                 execution_options=options).rowcount,
        "challenges": session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at < now),
                                      execution_options=options).rowcount,
        "sessions": login_sessions.purge_idle_sessions(session, policy, now),
        "audit_events": session.execute(
            delete(AuditEvent).where(AuditEvent.created_at < now - timedelta(days=config["RETENTION_AUDIT_DAYS"])),
            execution_options=options).rowcount,
    }


def retention_job(config):
    """hooks.Job run function for accounts' clean-up, with the app's settings."""
    return retention.logged_job("accounts", lambda session, now: purge(session, now, config))


RETENTION = (
    Retention("account", _l("Je naam, e-mailadres, teams en passkeys (alleen de publieke sleutel)"),
              _l("Je teamgenoten zien je naam; beheerders van je organisatie je teams en rol."),
              lambda _config: _("Tot je je account verwijdert."), order=10),
    Retention("sessions", _l("Ingelogde apparaten (soort apparaat en data)"), _l("Alleen jij."),
              lambda config: _("Een apparaat dat %(days)s niet gebruikt is, wordt uitgelogd en vergeten.",
                               days=retention.days(config["SESSION_IDLE_DAYS"])), order=11),
    Retention("links", _l("Uitnodigingen en herstellinks (met het e-mailadres van de uitgenodigde)"),
              _l("De teamleiders van het team en de beheerders van de organisatie."),
              lambda config: _("Een uitnodiging werkt %(invite)s, een herstellink %(hours)d uur; %(days)s na "
                               "gebruik of verlopen worden ze verwijderd.", invite=retention.days(config["INVITE_DAYS"]),
                               hours=config["RECOVERY_HOURS"], days=retention.days(config["RETENTION_LINK_DAYS"])),
              order=12),
    Retention("audit", _l("Beveiligingslogboek: inloggen, passkeys, links, rollen, downloads, verwijderingen "
                          "(nooit inhoud)"),
              _l("Jij (over je eigen account) en de beheerders van je organisatie."),
              lambda config: _("%(days)s, daarna verwijderd. Na het verwijderen van een account blijft de "
                               "gebeurtenis zonder naam staan.", days=retention.days(config["RETENTION_AUDIT_DAYS"])),
              order=13),
)
