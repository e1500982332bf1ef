"""Rounds, their participants, case texts, contributions, reflections and team settings.

The presenter's actions are shared personal actions (`app.actions.PersonalAction`, source
"intervisie", source_id the round), one list on Vandaag for every feature."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import UTCDateTime, utcnow

# How a participant whose account was deleted is shown to the others.
FORMER_COLLEAGUE = _l("Oud-collega")


# A team without its own settings: written here once, for the column defaults, the settings
# page, the retention job and the privacy page alike.
DEFAULT_RETENTION_DAYS = 7
DEFAULT_PREVIEW_HOURS = 24


class TeamSettings(db.Model):
    """Intervisie settings of one team (no row: the defaults)."""

    __tablename__ = "intervisie_team_settings"

    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    case_retention_days: Mapped[int] = mapped_column(default=DEFAULT_RETENTION_DAYS)
    # How long before the round participants may read the prepared case.
    case_preview_hours: Mapped[int] = mapped_column(default=DEFAULT_PREVIEW_HOURS)


class TeamTemplate(db.Model):
    """A team's own variant of a method: its own name and timings."""

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    method_key: Mapped[str] = mapped_column(String(40))
    minutes: Mapped[list] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("team_id", "name"),)


class Series(db.Model):
    """A repeating round: every N weeks on a weekday and time, until a date."""

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    every_weeks: Mapped[int]
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class Round(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    place: Mapped[str] = mapped_column(String(200), default="")
    video_url: Mapped[str] = mapped_column(String(500), default="")
    method_key: Mapped[str] = mapped_column(String(40))
    minutes: Mapped[list] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The live state (see phases.State); `version` grows with every change anyone can see.
    status: Mapped[str] = mapped_column(String(12), default="planned")
    phase_index: Mapped[int] = mapped_column(default=-1)
    phase_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extra_seconds: Mapped[int] = mapped_column(default=0)
    revealed: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    case_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    participants: Mapped[list[Participant]] = relationship(
        back_populates="round", cascade="all, delete-orphan", passive_deletes=True)
    # The team's intervisie settings, read with the round where a page needs both (the preview
    # time of the case); None when the team keeps the defaults, so no page asks for a row that
    # is not there. Read only: settings are saved through services.save_settings.
    team_settings: Mapped[TeamSettings | None] = relationship(
        primaryjoin="foreign(Round.team_id) == TeamSettings.team_id", viewonly=True, uselist=False)
    # The prepared case, read with the round by `access`; read it through services.round_case,
    # and write it through services.save_case and update_round, which keep this in step.
    case: Mapped[CaseText | None] = relationship(viewonly=True, uselist=False)


class Participant(db.Model):
    """A person in a round. When their account is deleted, their place in a round that took
    place stays without a person (an anonymous "oud-collega"), so the round and its counts
    stay as the others remember them; use `services.participant` to find someone's row."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    role: Mapped[str] = mapped_column(String(12), default="participant")
    rsvp: Mapped[str | None] = mapped_column(String(8))  # yes, no, maybe

    round: Mapped[Round] = relationship(back_populates="participants")
    person = relationship("Person")

    __table_args__ = (UniqueConstraint("round_id", "person_id"),)

    @property
    def name(self) -> str:
        return self.person.name if self.person is not None else str(FORMER_COLLEAGUE)


class CaseText(db.Model):
    """The prepared case and help question. The case text is deleted after the retention days."""

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    help_question: Mapped[str] = mapped_column(Text, default="")
    case_text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Contribution(db.Model):
    """A question, advice, association or core typed during a live round."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    phase_index: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rating: Mapped[str | None] = mapped_column(String(8))  # koud, lauw, warm (by the presenter)
    helpful: Mapped[bool] = mapped_column(default=False)    # marked by the presenter
    hidden: Mapped[bool] = mapped_column(default=False)     # hidden by the facilitator

    __table_args__ = (Index("ix_contribution_round_phase", "round_id", "phase_index"),)


class Reflection(db.Model):
    """After the round: the presenter's takeaway, each person's private learning point, evaluation."""

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    takeaway: Mapped[str] = mapped_column(Text, default="")       # the presenter's "wat neem je mee"
    learning_point: Mapped[str] = mapped_column(Text, default="")  # private to this person
    score: Mapped[int | None]                                      # 1 to 5
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanSubmission(db.Model):
    """One submission of the plan form, by the one-time id rendered into it.

    The primary key makes planning idempotent: a double click or a resent form finds the
    rounds the first submission made instead of planning (and announcing) them again.
    """

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class CalendarFeed(db.Model):
    """A person's private calendar URL. Only a hash of its token is stored; a new one revokes it."""

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
