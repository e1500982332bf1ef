"""GET and HEAD run without a database transaction: no BEGIN, no ROLLBACK.

Every request used to open a transaction with its first query and roll it back at the end: on
PostgreSQL two extra round trips for every page (docs/architecture.md, "Serving"). A GET only
reads, so it now runs in autocommit. Nothing it sees changes: PostgreSQL's READ COMMITTED (and
SQLite's autocommit reads) give each statement its own snapshot inside a transaction as well.

What a transaction does give is writes that stand or fall together, and a rollback. So a GET may
write only what stands alone, inside `standalone_write()`: the sign-in's occasional `last_seen_at`
(one UPDATE, committed by the loader before the view runs). A view that must write on a GET
(opening a notification marks it read; an export writes its audit line) says so with
`@reads.writes` and gets its transaction as before. Any other write in a GET is a bug: the tests
fail on it (`WriteInRead`); in use it is logged as an error and goes ahead, so a forgotten marker
never costs someone their page.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import TextClause, event

from app.extensions import db

log = logging.getLogger(__name__)

ATTRIBUTE = "writes_on_get"
SAFE_METHODS = frozenset({"GET", "HEAD"})
READS = ("SELECT", "PRAGMA")


class WriteInRead(RuntimeError):
    """A GET wrote without `@reads.writes`, outside `standalone_write()`."""


def writes(view):
    """Mark a view whose GET writes: it runs in a transaction, as a POST does."""
    setattr(view, ATTRIBUTE, True)
    return view


@contextmanager
def standalone_write():
    """A write inside a GET that stands alone (one statement, committed at once), so it needs no
    transaction: the sign-in's touch."""
    before = g.get("standalone_write", False)
    g.standalone_write = True
    try:
        yield
    finally:
        g.standalone_write = before


def without_transaction(app: Flask, method: str, endpoint: str | None) -> bool:
    """Whether this request runs in autocommit: a GET or HEAD of a view not marked `writes`."""
    if method not in SAFE_METHODS or endpoint is None or endpoint == "static":
        return False
    view = app.view_functions.get(endpoint)
    return view is not None and not getattr(view, ATTRIBUTE, False)


def _mark_request() -> None:
    g.reads_only = without_transaction(current_app, request.method, request.endpoint)


def _autocommit(conn) -> None:
    # A connection is made for the request's session only when it first asks the database (a
    # health check or an anonymous page may never): it starts out in autocommit, and goes back
    # to the pool reset to the engine's default.
    if has_request_context() and g.get("reads_only"):
        conn.execution_options(isolation_level="AUTOCOMMIT")


def changes_data(statement: str, context) -> bool:
    """Whether a statement about to run changes data. SQLAlchemy knows for what it built (so a
    SELECT with a common table expression reads); SQL written as text is judged by its first word."""
    compiled = getattr(context, "compiled", None)
    if compiled is not None and not isinstance(compiled.statement, TextClause):
        return bool(context.isinsert or context.isupdate or context.isdelete or context.isddl)
    return not statement.lstrip().upper().startswith(READS)


def _guard(_conn, _cursor, statement: str, _parameters, context, _executemany) -> None:
    if (has_request_context() and g.get("reads_only") and not g.get("standalone_write")
            and changes_data(statement, context)):
        wrote = statement.lstrip()[:60]
        message = f"{request.method} {request.endpoint} wrote without @reads.writes: {wrote}"
        if current_app.testing:
            raise WriteInRead(message)
        # In use, a forgotten marker must not cost the person their page: the write goes ahead
        # (in autocommit) and the log says which view needs the marker.
        log.error(message)


def init_app(app: Flask) -> None:
    """Before any other request hook that uses the database (the sign-in's loader)."""
    app.before_request(_mark_request)
    with app.app_context():
        event.listen(db.engine, "engine_connect", _autocommit)
        event.listen(db.engine, "before_cursor_execute", _guard)
