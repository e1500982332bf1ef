"""Buddy schemes, their rotations and groups, and each person's pause and private exclusions."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import UTCDateTime, utcnow


class Scheme(db.Model):
    """A buddy scheme for a pool: some teams, or (org_wide) the whole organisation."""

    __tablename__ = "buddy_scheme"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    org_wide: Mapped[bool] = mapped_column(default=False)
    every_weeks: Mapped[int] = mapped_column(default=6)
    weekday: Mapped[int] = mapped_column(default=0)         # 0 = Monday
    mix: Mapped[int] = mapped_column(default=2)             # 0 (off) to 3 (strong)
    cross_team: Mapped[int] = mapped_column(default=1)      # 0 (off) to 3 (strong)
    window: Mapped[int] = mapped_column(default=4)          # rotations a pair is not repeated
    auto_publish: Mapped[bool] = mapped_column(default=False)
    next_on: Mapped[date] = mapped_column(Date)             # the next rotation's day
    seed: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    teams: Mapped[list[SchemeTeam]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class SchemeTeam(db.Model):
    __tablename__ = "buddy_scheme_team"

    scheme_id: Mapped[int] = mapped_column(ForeignKey("buddy_scheme.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True, index=True)


class Rotation(db.Model):
    """One rotation of a scheme: a draft (the lead's preview) until it is published."""

    __tablename__ = "buddy_rotation"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("buddy_scheme.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default="draft")   # draft, published
    starts_on: Mapped[date] = mapped_column(Date)
    # People nobody could be placed with (shown to the lead, never silently dropped).
    unmatched: Mapped[list] = mapped_column(JSON, default=list)
    dropped_locks: Mapped[int] = mapped_column(default=0)
    # Bumped by "Bereken opnieuw": another seed, so another grouping of the same quality tier.
    attempt: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    groups: Mapped[list[BuddyGroup]] = relationship(
        back_populates="rotation", cascade="all, delete-orphan", passive_deletes=True, order_by="BuddyGroup.id")

    __table_args__ = (UniqueConstraint("scheme_id", "number"),)


class BuddyGroup(db.Model):
    """A pair or the trio, with its reasons (codes from matching.Group.reasons)."""

    __tablename__ = "buddy_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(ForeignKey("buddy_rotation.id", ondelete="CASCADE"), index=True)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    locked: Mapped[bool] = mapped_column(default=False)
    onboarding: Mapped[bool] = mapped_column(default=False)

    rotation: Mapped[Rotation] = relationship(back_populates="groups")
    members: Mapped[list[GroupMember]] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    @property
    def member_ids(self) -> tuple[int, ...]:
        return tuple(sorted(m.person_id for m in self.members))


class GroupMember(db.Model):
    __tablename__ = "buddy_group_member"

    group_id: Mapped[int] = mapped_column(ForeignKey("buddy_group.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True)

    person = relationship("Person")


class Veto(db.Model):
    """A pair the lead ruled out for one draft rotation."""

    __tablename__ = "buddy_veto"

    rotation_id: Mapped[int] = mapped_column(ForeignKey("buddy_rotation.id", ondelete="CASCADE"), primary_key=True)
    low_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    high_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)


class Onboarding(db.Model):
    """A newcomer's onboarding buddy, set by hand and kept until the lead releases it."""

    __tablename__ = "buddy_onboarding"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("buddy_scheme.id", ondelete="CASCADE"), index=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    buddy_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Pause(db.Model):
    """A person's break from buddies (leave, holiday, sick) until a date."""

    __tablename__ = "buddy_pause"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(12))   # leave, holiday, sick
    until: Mapped[date] = mapped_column(Date)


class Exclusion(db.Model):
    """A colleague this person privately does not want as a buddy. Nobody else ever sees who."""

    __tablename__ = "buddy_exclusion"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    excluded_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
