"""Feedback exchanges along the three loops, the ids of what phones sent, and ideas for intervisie."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, utcnow

# Kinds of exchange.
REQUEST = "request"   # the subject asked a colleague
UNASKED = "unasked"   # a colleague gave the subject feedback without being asked
SOLO = "solo"         # the subject reflected alone

# States.
OPEN = "open"          # a request waiting for its answer
ANSWERED = "answered"  # answered (or unasked feedback given, or a solo reflection written)
CLOSED = "closed"      # the subject wrote what they take with them
EXPIRED = "expired"    # a request that was not answered in time


class Exchange(db.Model):
    """One moment of feedback. The subject is the person whose work it is about; the giver is the
    colleague (none for a solo reflection). Only these two ever see it.

    Loops: rules (single loop), insights (double), principles (triple). The subject's reflection
    and the giver's answer each have a field per loop.
    """

    __tablename__ = "feedback_exchange"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    # SET NULL: when one of the two deletes their account the other keeps their own words.
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    giver_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(120), default="")
    # The subject's own reflection, and what kind of feedback they would like.
    rules: Mapped[str] = mapped_column(Text, default="")
    insights: Mapped[str] = mapped_column(Text, default="")
    principles: Mapped[str] = mapped_column(Text, default="")
    wish: Mapped[str] = mapped_column(Text, default="")
    # The giver's answer: what they observed, another reading, values at stake, a top and a tip.
    observed: Mapped[str] = mapped_column(Text, default="")
    other_reading: Mapped[str] = mapped_column(Text, default="")
    at_stake: Mapped[str] = mapped_column(Text, default="")
    top: Mapped[str] = mapped_column(Text, default="")
    tip: Mapped[str] = mapped_column(Text, default="")
    # Closing the loop: what the subject takes with them (the action is a PersonalAction).
    takeaway: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_feedback_exchange_status_expires", "status", "expires_at"),)

    def reflection_loops(self) -> list[str]:
        return [loop for loop, text in (("rules", self.rules), ("insights", self.insights),
                                        ("principles", self.principles)) if text]

    def answer_loops(self) -> list[str]:
        return [loop for loop, text in (("rules", self.observed), ("insights", self.other_reading),
                                        ("principles", self.at_stake)) if text]

    @property
    def answered(self) -> bool:
        return any((self.observed, self.other_reading, self.at_stake, self.top, self.tip))


class Submission(db.Model):
    """Every form a phone sends carries an id it made itself; each id is stored once, so a retry,
    a double tap or a replayed offline queue never makes a second exchange or answer."""

    __tablename__ = "feedback_submission"

    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    exchange_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_exchange.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseIdea(db.Model):
    """A theme a person wants to bring to intervisie as a help question (a draft, their own)."""

    __tablename__ = "feedback_case_idea"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
