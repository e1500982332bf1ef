"""Personal actions on Vandaag: one concrete step a person gave themselves, from any feature.

A core module, not a feature package: feedback (and later intervisie) add actions here with a
`source` key and the id of what they came from; Vandaag shows the open ones until they are done.
"""
from __future__ import annotations

from datetime import datetime
from functools import cache

from flask import Blueprint, Flask, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ForeignKey, String, bindparam, select, update
from sqlalchemy.orm import Mapped, mapped_column

from app import access, hooks
from app.extensions import db
from app.models_base import UTCDateTime, utcnow

TEXT_MAX = 500


class PersonalAction(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(TEXT_MAX))
    source: Mapped[str] = mapped_column(String(20))          # the feature it came from, e.g. "feedback"
    source_id: Mapped[int | None]                            # the id of what it came from, in that feature
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# Services ----------------------------------------------------------------------------------------

def add(session, owner_id: int, text: str, *, source: str, source_id: int | None = None) -> PersonalAction:
    action = PersonalAction(owner_id=owner_id, text=text.strip()[:TEXT_MAX], source=source, source_id=source_id)
    session.add(action)
    session.flush()
    return action


def open_for(session, person_id: int) -> list[PersonalAction]:
    return list(session.scalars(_open_for_query(), {"person_id": person_id}))


@cache
def _open_for_query():
    # On Vandaag: built once (docs/architecture.md, "Serving").
    return select(PersonalAction).where(PersonalAction.owner_id == bindparam("person_id"),
                                        PersonalAction.done_at.is_(None)).order_by(PersonalAction.created_at)


def of_source(session, source: str, source_id: int) -> list[PersonalAction]:
    return list(session.scalars(select(PersonalAction).where(
        PersonalAction.source == source, PersonalAction.source_id == source_id).order_by(PersonalAction.id)))


def complete(session, action_id: int, person_id: int, now: datetime | None = None) -> PersonalAction | None:
    """Tick off an action; only its owner may (anyone else: None, as if it did not exist).
    Ticking twice keeps the first moment."""
    action = session.get(PersonalAction, action_id)
    if action is None or action.owner_id != person_id:
        return None
    session.execute(update(PersonalAction).where(PersonalAction.id == action_id, PersonalAction.done_at.is_(None))
                    .values(done_at=now or utcnow()))
    session.refresh(action)
    return action


def export(session, person) -> list[dict]:
    return [{"text": a.text, "source": a.source, "created_at": a.created_at.isoformat(),
             "done_at": a.done_at.isoformat() if a.done_at else None}
            for a in session.scalars(select(PersonalAction).where(PersonalAction.owner_id == person.id)
                                     .order_by(PersonalAction.id))]


# Vandaag -----------------------------------------------------------------------------------------

bp = Blueprint("actions", __name__, url_prefix="/acties")

SOURCE_LABELS = {"feedback": _l("Uit feedback"), "intervisie": _l("Uit intervisie")}


@bp.post("/<int:action_id>/gedaan")
@access.signed_in
def done(action_id):
    access.found(complete(db.session, action_id, current_user.id))  # someone else's: 404
    db.session.commit()
    flash(_("Actie afgevinkt. Goed gedaan!"), "success")
    return redirect(url_for("web.today"))


def card(session, person, _now) -> dict | None:
    actions = open_for(session, person.id)
    return {"actions": actions, "labels": SOURCE_LABELS} if actions else None


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    registry = hooks.of(app)
    registry.add_card(hooks.TodayCard("personal-actions", "actions/_today.html", card, order=hooks.TODAY_ACTIONS))
    registry.add_export(hooks.ExportPart("actions", _l("Je acties"), export))
