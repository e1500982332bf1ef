"""Buddies' share of the demo: a cross-team scheme with three published rotations of history and
a draft for the next one. Every name is invented (app/demo.py)."""
from __future__ import annotations

from datetime import datetime, timedelta

from app.buddies import services
from app.buddies.models import Scheme, SchemeTeam
from app.timezone import AMSTERDAM


def fill(session, teams: dict, people: dict, now: datetime) -> None:
    today = now.astimezone(AMSTERDAM).date()
    first = services.next_weekday(today - timedelta(weeks=18), 1)
    scheme = Scheme(organisation_id=teams["Wijkteam Noord"].organisation_id, name="Buddy's Noord en Zuid",
                    every_weeks=6, weekday=1, mix=2, cross_team=2, window=4, auto_publish=True, next_on=first,
                    seed=20261, created_by_id=people["Petra Jansen"].id,
                    teams=[SchemeTeam(team_id=t.id) for t in teams.values()])
    session.add(scheme)
    session.flush()
    for number in range(3):
        rotation = services.compute(session, scheme)
        moment = datetime.combine(scheme.next_on, datetime.min.time(), tzinfo=AMSTERDAM)
        services.publish(session, scheme, rotation, moment)
        scheme.next_on = services.next_weekday(first + timedelta(weeks=6 * (number + 1)), 1)
    scheme.next_on = services.next_weekday(today + timedelta(days=5), 1)
    services.compute(session, scheme)
