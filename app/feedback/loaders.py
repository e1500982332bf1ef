"""Who may open an exchange: feedback's loader on the shared access policy (app/access.py).

An exchange belongs to its two people: the subject (who asked, who was given feedback unasked,
or who reflected alone) and the giver (the colleague; nobody for a solo reflection). Everyone
else gets 404, leads and admins included: feedback is never theirs to know about (a lead sees
counts only, on the team's page). One of the two who lacks the need knows it and gets 403.
"""
from __future__ import annotations

from flask_login import current_user

from app import access
from app.extensions import db
from app.feedback import services
from app.feedback.models import REQUEST, Exchange

NEEDS = {
    "party": lambda ex, me: True,                                              # read it, delete one's own words
    "asker": lambda ex, me: ex.subject_id == me,                               # close the loop, to intervisie
    "answerer": lambda ex, me: ex.giver_id == me and ex.kind == REQUEST,       # answer a request
}


def load_exchange(exchange_id: int, need: str = "party") -> Exchange:
    """The exchange, or NotFound (not one of its two people) / Forbidden (one of them, lacking `need`)."""
    exchange = access.found(services.visible(db.session, current_user, exchange_id))
    access.require(NEEDS[need](exchange, current_user.id))
    return exchange


EXCHANGE = access.Subject("exchange", "exchange_id", load_exchange, tuple(NEEDS))
