"""Who may open a team: accounts' loader on the shared access policy (app/access.py)."""
from __future__ import annotations

from flask_login import current_user

from app import access
from app.accounts import services
from app.accounts.models import Team
from app.extensions import db


def load_team(team_id: int, need: str = "member") -> Team:
    """The team, or NotFound/Forbidden.

    member: its members and the admins of its organisation; everyone else gets 404.
    lead:   its leads and those admins (`services.can_lead`, the one "is lead" rule); a member
            who does not lead knows the team and gets 403.
    """
    team = access.found(services.team_for(db.session, current_user, team_id))
    if need == "lead":
        access.require(services.can_lead(db.session, current_user, team))
    return team


TEAM = access.Subject("team", "team_id", load_team, ("member", "lead"))
