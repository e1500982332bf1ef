"""A GET runs without a database transaction (app/reads.py); a GET that writes must say so, and
then gets its transaction, with its rollback."""
from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from app import access, reads
from app.accounts.models import Organisation
from app.extensions import db


def autocommit(dbapi_connection) -> bool:
    """Whether the driver's own connection commits each statement (psycopg or sqlite3)."""
    if hasattr(dbapi_connection, "pgconn"):  # psycopg
        return bool(dbapi_connection.autocommit)
    return dbapi_connection.isolation_level is None  # sqlite3: None is autocommit


def isolation_of_each_statement(app, client, method: str, path: str, **kwargs) -> list:
    """For each statement of one request: whether the driver's connection ran it in autocommit."""
    seen = []

    def note(conn, _cursor, statement, *_args):
        seen.append(autocommit(conn.connection.dbapi_connection))
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        response = client.open(path, method=method, **kwargs)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return response, seen


def test_a_page_asks_the_database_outside_a_transaction(app, make_team, make_person, login):
    client = login(make_person(make_team()))
    response, seen = isolation_of_each_statement(app, client, "GET", "/")
    assert response.status_code == 200
    assert seen and all(seen)


def test_a_form_post_after_pages_still_runs_in_one_transaction(app, make_team, make_person, login):
    """The pooled connection a GET used in autocommit comes back to a POST in a transaction."""
    client = login(make_person(make_team()))
    for path in ("/", "/intervisie/", "/profiel"):
        assert client.get(path).status_code == 200
    response, seen = isolation_of_each_statement(app, client, "POST", "/uitloggen")
    assert response.status_code in (302, 303, 400)
    assert seen and not any(seen)


def organisations(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Organisation))


def writing_views(app):
    """Two GETs that write and then fail: one marked `@reads.writes`, one not."""
    def write_then_fail():
        db.session.add(Organisation(name="Half geschreven"))
        db.session.flush()
        raise RuntimeError("the view failed after its write")
    app.add_url_rule("/test/writes-marked", "test_writes_marked",
                     access.public(reads.writes(write_then_fail)))
    app.add_url_rule("/test/writes-unmarked", "test_writes_unmarked",
                     access.public(lambda: write_then_fail()))


def test_a_get_that_writes_without_saying_so_fails_before_anything_is_written(app):
    writing_views(app)
    before = organisations(app)
    with pytest.raises(reads.WriteInRead, match="test_writes_unmarked"):
        app.test_client().get("/test/writes-unmarked")
    assert organisations(app) == before


def test_in_use_a_forgotten_marker_is_logged_and_the_page_still_works(app, caplog):
    app.testing = False  # as in production: the exception would cost the person their page
    app.add_url_rule("/test/writes-and-answers", "test_writes_and_answers",
                     access.public(lambda: (db.session.add(Organisation(name="Vergeten")), db.session.commit(), "ok")[2]))
    before = organisations(app)
    assert app.test_client().get("/test/writes-and-answers").status_code == 200
    assert organisations(app) == before + 1
    assert "test_writes_and_answers wrote without @reads.writes" in caplog.text


def test_a_get_marked_as_writing_keeps_its_transaction_and_rolls_back(app):
    writing_views(app)
    before = organisations(app)
    client = app.test_client()
    assert client.get("/inloggen").status_code == 200  # a page first, in autocommit
    with pytest.raises(RuntimeError, match="failed after its write"):
        client.get("/test/writes-marked")
    assert organisations(app) == before  # the flushed row went with the rollback


def test_what_counts_as_a_write():
    from sqlalchemy import delete, insert, literal, select, text, update
    from sqlalchemy.dialects import sqlite

    class Context:  # the part of SQLAlchemy's execution context the guard reads
        def __init__(self, statement):
            self.compiled = statement.compile(dialect=sqlite.dialect())
            self.isinsert, self.isupdate, self.isdelete = (self.compiled.isinsert, self.compiled.isupdate,
                                                           self.compiled.isdelete)
            self.isddl = False
    table = Organisation.__table__
    cte = select(table.c.id).cte("some")
    assert not reads.changes_data("WITH some AS (...) SELECT ...", Context(select(cte.c.id)))
    assert not reads.changes_data("SELECT 1", Context(select(literal(1))))
    for statement in (insert(table).values(name="x"), update(table).values(name="x"), delete(table)):
        assert reads.changes_data(str(statement), Context(statement))
    assert reads.changes_data("DELETE FROM organisation", Context(text("DELETE FROM organisation")))
    assert not reads.changes_data("SELECT 1", Context(text("SELECT 1")))
    assert reads.changes_data("INSERT INTO organisation (name) VALUES ('x')", None)


def test_only_gets_of_unmarked_views_leave_the_transaction_out(app):
    assert reads.without_transaction(app, "GET", "web.today")
    assert reads.without_transaction(app, "HEAD", "intervisie.index")
    assert not reads.without_transaction(app, "POST", "web.today")
    assert not reads.without_transaction(app, "GET", "notify.open_item")  # marks the item read
    assert not reads.without_transaction(app, "GET", "accounts.export")  # writes a security-log line
    assert not reads.without_transaction(app, "GET", None)  # no route: a 404
