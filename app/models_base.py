"""Column helpers shared by every feature's models."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only time zone stored)."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC that always comes back timezone-aware.

    SQLite drops the zone; PostgreSQL keeps it. This makes both behave the same.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime")
            value = value.astimezone(timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def dialect_insert(session, model):
    """INSERT for this session's database, with its ON CONFLICT clauses (SQLite and PostgreSQL)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(model)


def insert_if_missing(session, model, **values) -> bool:
    """Insert a row unless one with its key exists, also when another request inserts it at the
    same moment (no IntegrityError): INSERT ... ON CONFLICT DO NOTHING, on SQLite and PostgreSQL.
    True if this call inserted it."""
    key = model.__table__.primary_key.columns.values()[0]
    # RETURNING, not rowcount: psycopg reports no row count for this statement.
    return session.execute(dialect_insert(session, model).values(**values).on_conflict_do_nothing().returning(key)).first() is not None
