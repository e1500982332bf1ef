"""Security logs: one's own account's events (Beveiliging) and the organisation's log for admins."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app import access
from app.accounts import audit
from app.accounts.models import Role, Team
from app.accounts.views import bp
from app.extensions import db


ROLE_LABELS = {Role.MEMBER: _l("Teamlid"), Role.LEAD: _l("Teamleider")}
LOG_PAGE_SIZE = 100


def event_rows(events, organisation_id: int) -> list[dict]:
    """Events as the log pages show them: names and labels, never ids or content."""
    teams = dict(db.session.execute(select(Team.id, Team.name).where(Team.organisation_id == organisation_id)).all())
    rows = []
    for event in events:
        detail = event.detail or {}
        facts = []
        if detail.get("team_id") in teams:
            facts.append(teams[detail["team_id"]])
        if detail.get("role") in ROLE_LABELS:
            facts.append(str(ROLE_LABELS[detail["role"]]))
        if detail.get("admin") is True:
            facts.append(_("beheerder"))
        facts += [detail[key] for key in ("device", "passkey") if isinstance(detail.get(key), str)]
        if isinstance(detail.get("count"), int):
            facts.append(ngettext("%(num)d apparaat", "%(num)d apparaten", detail["count"]))
        rows.append({"when": event.created_at, "label": audit.label(event.kind),
                     "actor": event.actor.name if event.actor else None,
                     "subject": event.subject.name if event.subject else None, "facts": facts})
    return rows


@bp.get("/profiel/beveiliging")
@access.signed_in
def security():
    """Beveiliging: the events about one's own account."""
    person = current_user._get_current_object()
    rows = event_rows(audit.events_about(db.session, person.id), person.organisation_id)
    return render_template("accounts/security.html", rows=rows)


@bp.get("/beheer/logboek")
@access.admin
def audit_log():
    """The organisation's security log, for its admins only (404 for anyone else)."""
    before = request.args.get("before", type=int)
    if before is not None and not 0 < before < 2**31:
        before = None
    events = audit.organisation_log(db.session, current_user.organisation_id, before_id=before,
                                    limit=LOG_PAGE_SIZE)
    older = events[-1].id if len(events) == LOG_PAGE_SIZE else None
    return render_template("accounts/audit_log.html", rows=event_rows(events, current_user.organisation_id),
                           older=older)

