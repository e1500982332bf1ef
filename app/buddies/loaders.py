"""Who may open a buddy scheme: buddies' loader on the shared access policy (app/access.py)."""
from __future__ import annotations

from flask_login import current_user

from app import access
from app.buddies import services
from app.buddies.models import Scheme
from app.extensions import db


def load_scheme(scheme_id: int, need: str = "lead") -> Scheme:
    """The scheme, for those who manage it (`services.can_manage`: its teams' leads, the
    organisation's admins). A member of a team the scheme covers knows it (403); anyone else,
    another team or another organisation, gets 404."""
    scheme = access.found(db.session.get(Scheme, scheme_id))
    if not services.can_manage(db.session, current_user, scheme):
        access.deny(knows=services.knows_scheme(db.session, current_user, scheme))
    return scheme


SCHEME = access.Subject("scheme", "scheme_id", load_scheme, ("lead",))
