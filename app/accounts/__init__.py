"""Accounts: organisations, teams, people, roles, invites and passkeys."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, g
from flask_babel import lazy_gettext as _l

from app import hooks

INVITE_ACCEPTED = hooks.NotificationKind(
    "invite_accepted", _l("Uitnodiging geaccepteerd"),
    _l("Voor teamleiders: een collega heeft je uitnodiging aangenomen."),
    ttl=timedelta(days=2), urgency="low",
)
SECURITY = hooks.NotificationKind(
    "security", _l("Beveiliging"),
    _l("Als iemand een herstellink voor je account maakt. Deze melding kun je niet uitzetten."),
    ttl=timedelta(days=1), urgency="high", quiet_hours=False, optional=False,
)


def teams_and_sizes(session, person, now) -> tuple[list, dict[int, int]]:
    """The person's teams and how many are in each, read once per Vandaag (its `now`): both
    cards below use them."""
    from app.accounts import services
    memo = g.setdefault("accounts_teams", {})
    if (person.id, now) not in memo:
        teams = services.teams_of(session, person)
        memo[(person.id, now)] = (teams, services.member_counts(session, teams))
    return memo[(person.id, now)]


def teams_card(session, person, now) -> dict:
    teams, sizes = teams_and_sizes(session, person, now)
    return {"teams": teams, "sizes": sizes}


def invite_card(session, person, now) -> dict | None:
    """A lead whose team has nobody else yet (a new admin, first of all): how to invite."""
    from app.accounts import services
    teams, sizes = teams_and_sizes(session, person, now)
    alone = [t for t in teams if sizes[t.id] <= 1 and services.can_lead(session, person, t)]
    return {"teams": alone} if alone else None


def init_app(app: Flask) -> None:
    from app.accounts import privacy, views

    app.register_blueprint(views.bp)
    registry = hooks.of(app)
    registry.add_nav(hooks.NavItem("accounts.profile", _l("Profiel"), "person", 90))
    registry.add_kind(INVITE_ACCEPTED)
    registry.add_kind(SECURITY)
    registry.add_card(hooks.TodayCard("invite-colleagues", "accounts/_today_invite.html", invite_card,
                                      order=hooks.TODAY_ACTIONS + 5))
    registry.add_card(hooks.TodayCard("teams", "accounts/_today_teams.html", teams_card, order=hooks.TODAY_LATER + 20))
    registry.add_export(hooks.ExportPart("account", _l("Je account"), privacy.export_account,
                                         privacy.ACCOUNT_LABELS))
    registry.add_export(hooks.ExportPart("sessions", _l("Ingelogde apparaten"), privacy.export_sessions))
    registry.add_export(hooks.ExportPart("security", _l("Beveiligingslogboek over je account"),
                                         privacy.export_audit, privacy.AUDIT_LABELS))
    # Accounts' share of deletion; the person row itself goes last, in privacy.delete_person.
    registry.add_eraser(hooks.Eraser("accounts", privacy.erase_account))
    registry.add_job(hooks.Job("accounts-retention", privacy.retention_job(app.config),
                               interval=timedelta(hours=app.config["RETENTION_INTERVAL_HOURS"])))
    for rule in privacy.RETENTION:
        registry.add_retention(rule)
