"""The audit log of security events: who did what to which account, and when.

Any feature may record an event through `record_event`; admins read their organisation's log,
and each person reads the events about their own account. An event holds ids, a kind and a small
detail of plain values (a role, a team id, a device label, a count). It never holds content
(case texts, reflections, names typed into forms) and never an IP address or user agent string:
the log must itself be safe to show and to keep.

Kinds later features record (export, account deletion, role changes) are listed here already,
so their labels are translated in one place. To add one, add it to KINDS with its label.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import AuditEvent
from app.models_base import utcnow

KINDS = {
    "sign_in": _l("Ingelogd"),
    "sign_out": _l("Uitgelogd"),
    "sessions_ended": _l("Sessies beëindigd"),
    "passkey_added": _l("Passkey toegevoegd"),
    "passkey_removed": _l("Passkey verwijderd"),
    "invite_issued": _l("Uitnodiging gemaakt"),
    "invite_used": _l("Uitnodiging gebruikt"),
    "recovery_issued": _l("Herstellink gemaakt"),
    "recovery_used": _l("Herstellink gebruikt"),
    "role_changed": _l("Rol gewijzigd"),
    "data_exported": _l("Gegevens gedownload"),
    "account_deleted": _l("Account verwijderd"),
}

# The detail is for small facts only: a few keys with plain, short values.
MAX_DETAIL_KEYS = 8
MAX_DETAIL_TEXT = 80


class UnknownEventKind(ValueError):
    """A kind that is not in KINDS: add it there first, with its label."""


def _small(value):
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value[:MAX_DETAIL_TEXT]
    raise TypeError(f"audit detail holds plain values only, not {type(value).__name__}")


def record_event(session, kind: str, *, organisation_id: int, subject_id: int | None = None,
                 actor_id: int | None = None, now: datetime | None = None, **detail) -> AuditEvent:
    """Add one security event in the caller's transaction (added, flushed, never committed).

    `subject_id` is the person whose account the event is about (they see it on their security
    page); `actor_id` who did it. `detail` takes a few plain values (str, int, bool), e.g.
    `role="lead"`, `team_id=3`, `device="iPhone"`, `count=2`. Never pass content or addresses.
    """
    if kind not in KINDS:
        raise UnknownEventKind(kind)
    if len(detail) > MAX_DETAIL_KEYS:
        raise ValueError("audit detail is for a few facts only")
    event = AuditEvent(organisation_id=organisation_id, subject_id=subject_id, actor_id=actor_id, kind=kind,
                       detail={key: _small(value) for key, value in detail.items()},
                       created_at=now or utcnow())
    session.add(event)
    session.flush()
    return event


def label(kind: str):
    return KINDS.get(kind, kind)


def organisation_log(session, organisation_id: int, *, before_id: int | None = None,
                     limit: int = 100) -> list[AuditEvent]:
    """The newest events of one organisation, for its admins; `before_id` pages back."""
    query = (select(AuditEvent).where(AuditEvent.organisation_id == organisation_id)
             .options(selectinload(AuditEvent.subject), selectinload(AuditEvent.actor))
             .order_by(AuditEvent.id.desc()).limit(limit))
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query))


def events_about(session, person_id: int, *, limit: int = 100) -> list[AuditEvent]:
    """The newest events about one person's own account."""
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.subject_id == person_id)
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.id.desc()).limit(limit)))
