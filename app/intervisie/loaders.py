"""Who may open a round: intervisie's loader on the shared access policy (app/access.py)."""
from __future__ import annotations

from flask_login import current_user

from app import access
from app.extensions import db
from app.intervisie import phases, services

# What a view needs of the person, and who has it. Everyone who is none of a round's
# participants and no lead of its team (nor admin of its organisation) gets 404: they may not
# know the round exists. Those who know it and lack the need get 403.
NEEDS = {
    "viewer": lambda acc: True,                                  # the round page, its .ics
    "planning": lambda acc: acc.lead,                            # change or cancel it
    "participant": lambda acc: acc.me is not None,               # its content: case, live, reflection
    "presenter": lambda acc: acc.role == phases.PRESENTER,       # write the case, rate questions
    "facilitator": lambda acc: acc.role == phases.FACILITATOR,   # lead the live round
}


def load_round(round_id: int, need: str = "participant") -> services.Access:
    """This person's access to the round, or NotFound/Forbidden by the policy."""
    acc = access.found(services.access(db.session, current_user, round_id))
    access.require(NEEDS[need](acc))
    return acc


ROUND = access.Subject("round", "round_id", load_round, tuple(NEEDS))
