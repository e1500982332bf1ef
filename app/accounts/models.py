"""Organisations, teams, people, roles, one-time links and passkeys."""
from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import UTCDateTime, utcnow


class Role(StrEnum):
    """A person's role in one team. Organisation admin is a separate flag on Person."""

    MEMBER = "member"
    LEAD = "lead"


class LinkPurpose(StrEnum):
    SETUP = "setup"
    INVITE = "invite"
    RECOVERY = "recovery"


class Organisation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    teams: Mapped[list[Team]] = relationship(back_populates="organisation", order_by="Team.name")


class Team(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="teams")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="team", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (UniqueConstraint("organisation_id", "name"),)


def new_user_handle() -> bytes:
    """A random WebAuthn user handle: never an e-mail address or a name."""
    return secrets.token_bytes(32)


class Person(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str | None] = mapped_column(String(8))
    is_admin: Mapped[bool] = mapped_column(default=False)
    # Years in the field; buddy matching mixes experienced colleagues with newcomers.
    experience_years: Mapped[int | None]
    user_handle: Mapped[bytes] = mapped_column(LargeBinary(64), unique=True, default=new_user_handle)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", cascade="all, delete-orphan", passive_deletes=True
    )
    passkeys: Mapped[list[Passkey]] = relationship(
        back_populates="person", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Passkey.created_at",
    )

    # The signed-in session this request runs in: set at sign-in and by the user loader, never
    # stored on the person (one person has a session per device). See PersonSession.
    login_token = None       # str | None (plain attributes: not mapped)
    login_session_id = None  # int | None
    login_session_touched = False  # its last_seen_at moved in this request: the loader commits

    def get_id(self) -> str:
        """Flask-Login's id, "<person id>.<session token>": it opens nothing once the record is gone."""
        if not self.login_token:
            raise RuntimeError("a person is signed in only through a PersonSession (services.start_session)")
        return f"{self.id}.{self.login_token}"

    # UserMixin compares people by get_id(), which only a signed-in person has; a person is the
    # same person as a database row, so identity (SQLAlchemy's one object per row) decides.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__


class Membership(db.Model):
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship(back_populates="memberships")
    team: Mapped[Team] = relationship(back_populates="memberships")


class Passkey(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1024), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(default=0)
    transports: Mapped[list] = mapped_column(JSON, default=list)
    label: Mapped[str] = mapped_column(String(80))
    backed_up: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship(back_populates="passkeys")


class AccessLink(db.Model):
    """A one-time link: the setup link, an invite, or a recovery link. Only a hash is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    role: Mapped[str | None] = mapped_column(String(16))
    make_admin: Mapped[bool] = mapped_column(default=False)
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team | None] = relationship()
    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])


class WebAuthnChallenge(db.Model):
    """A pending ceremony. Kept server-side so it is single-use and expires, in any process."""

    __tablename__ = "webauthn_challenge"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    challenge: Mapped[bytes] = mapped_column(LargeBinary(64))
    purpose: Mapped[str] = mapped_column(String(16))  # "register" or "login"
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("access_link.id", ondelete="CASCADE"))
    # What the person typed before the passkey step (names for setup or invite).
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class PersonSession(db.Model):
    """One signed-in device. Deleting the row ends that session, also its remember-me cookie.

    Only a SHA-256 of the token is kept; the token itself lives in the signed session cookie.
    """

    __tablename__ = "person_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    # The passkey that signed in (none for a session made by a registration or a test).
    passkey_id: Mapped[int | None] = mapped_column(ForeignKey("passkey.id", ondelete="SET NULL"))
    label: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AuditEvent(db.Model):
    """A security event: who did what to which account, never content and never an address."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    subject: Mapped[Person | None] = relationship(foreign_keys=[subject_id])
    actor: Mapped[Person | None] = relationship(foreign_keys=[actor_id])

    __table_args__ = (Index("ix_audit_event_organisation_id_created_at", "organisation_id", "created_at"),)
