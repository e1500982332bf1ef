"""Push subscriptions, notifications (the inbox), push deliveries (the outbox) and preferences."""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import JSON, ForeignKey, Index, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import UTCDateTime, utcnow


class PushSubscription(db.Model):
    """One device (browser) that receives a person's notifications."""

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(2048), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notification(db.Model):
    """An inbox item. Written in the same transaction as the event it is about."""

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(String(400))
    url: Mapped[str] = mapped_column(String(500))
    # Pushes with the same topic replace each other on the phone (a newer reminder wins).
    topic: Mapped[str | None] = mapped_column(String(32))
    # Scheduled notifications carry a key, so a scheduler that runs twice makes no duplicate.
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    deliveries: Mapped[list[PushDelivery]] = relationship(
        back_populates="notification", cascade="all, delete-orphan", passive_deletes=True)

    __table_args__ = (Index("ix_notification_person_created", "person_id", "created_at"),)


class PushDelivery(db.Model):
    """The outbox: one push of one notification to one device."""

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("push_subscription.id", ondelete="CASCADE"),
                                                 index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A worker's claim: while the lease runs no other worker takes the row; a crashed worker's
    # lease simply runs out.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leased_by: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))

    notification: Mapped[Notification] = relationship(back_populates="deliveries")
    subscription: Mapped[PushSubscription] = relationship()

    __table_args__ = (Index("ix_push_delivery_due", "status", "next_attempt_at"),)


class NotificationPreference(db.Model):
    """What a person wants pushed, and when not. No row means the defaults."""

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    muted_kinds: Mapped[list] = mapped_column(JSON, default=list)
    quiet_enabled: Mapped[bool] = mapped_column(default=True)
    quiet_evening: Mapped[time] = mapped_column(Time, default=time(18, 0))
    quiet_morning: Mapped[time] = mapped_column(Time, default=time(8, 0))
    quiet_weekends: Mapped[bool] = mapped_column(default=True)
