"""Command-line entry points: `flask --app app setup-link | invite | demo`."""
from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import select

from app import hooks
from app.accounts import services
from app.accounts.models import Role, Team
from app.extensions import db


def link_url(path: str) -> str:
    return f"{current_app.config['APP_URL']}{path}"


def register_commands(app: Flask) -> None:
    @app.cli.command("setup-link")
    def setup_link():
        """Print a one-time setup link while the database has no organisation yet."""
        issued = services.issue_setup_link(db.session, current_app.config["SETUP_HOURS"])
        db.session.commit()
        if issued is None:
            click.echo("Leerkring is al ingericht; log in op " + link_url("/inloggen"))
            return
        click.echo("\n  Leerkring is nog leeg. Open deze eenmalige link om je organisatie in te richten:\n")
        click.echo(f"  {link_url('/inrichten/' + issued.token)}\n")

    @app.cli.command("invite")
    @click.argument("email")
    @click.option("--team", "team_name", required=True, help="Naam van het team")
    @click.option("--role", type=click.Choice(["member", "lead", "admin"]), default="member", show_default=True)
    def invite(email, team_name, role):
        """Print an invite link for EMAIL to join TEAM with ROLE."""
        team = services.find_team_by_name(db.session, team_name)
        if team is None:
            names = ", ".join(t.name for t in db.session.scalars(select(Team).order_by(Team.name)))
            raise click.ClickException(f"Geen team met de naam {team_name!r}. Teams: {names or '(nog geen)'}")
        issued = services.issue_invite(
            db.session, team=team, role=Role.LEAD if role in ("lead", "admin") else Role.MEMBER,
            make_admin=role == "admin", email=email, created_by=None, days=current_app.config["INVITE_DAYS"],
        )
        db.session.commit()
        click.echo(link_url(f"/uitnodiging/{issued.token}"))

    @app.cli.command("worker")
    def worker():
        """Run the notification worker (pushes and reminders) as its own process."""
        import signal
        import threading

        from app.notify.worker import Worker
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        click.echo("Leerkring-worker gestart (Ctrl+C stopt)")
        try:
            Worker(current_app._get_current_object()).run_forever(stop)
        except KeyboardInterrupt:
            stop.set()

    @app.cli.command("demo")
    def demo():
        """Fill an empty database with a fictional Dutch organisation and print invite links."""
        from app.demo import fill_demo
        if services.organisation_exists(db.session):
            raise click.ClickException("De database is niet leeg; de demo vult alleen een lege database.")
        links = fill_demo(db.session, current_app.config["INVITE_DAYS"], hooks.of().demos)
        db.session.commit()
        click.echo("\n  Demo-organisatie 'Jeugdzorg Rivierenland' staat klaar. Word een van deze mensen "
                   "(open de link en maak een passkey):\n")
        for label, path in links:
            click.echo(f"  {label}\n    {link_url(path)}")
        click.echo("")
