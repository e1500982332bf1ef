"""The main pages ask the database a fixed, small number of times (issue 11: pages under load).

Each statement is a round trip and a few hundred microseconds of the server's time, so a page
that grows one per card or per team is slow for everyone once a crowd uses it. These budgets are
what the pages need now, on the demo organisation (rounds with a case, feedback, buddies, a
lead and an admin); a change that adds a statement to a main page fails here and has to say why.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from app.accounts.models import Person
from app.extensions import db
from app.intervisie.models import Participant, Round
from conftest import sign_in_as

# Statements per page, the sign-in's own included (one: session, person, teams and the unread
# badge; a GET runs in autocommit, so no BEGIN or ROLLBACK goes with them), for the most
# demanding of the four people: a lead's Vandaag also lists the buddy schemes they manage, an
# admin's overview every team of the organisation, and a member's live state and round page
# their look back (the open actions from the team's previous round) and, once they may read
# it, the case's texts (read on their own, so they travel for nobody else).
BUDGETS = {"Vandaag": 10, "overview": 4, "round page": 7, "live state": 7}


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        people = {p.name: p for p in db.session.scalars(select(Person))}
        rnd = db.session.scalars(select(Round).where(Round.status == "planned").order_by(Round.starts_at)).first()
        seated = {p.person_id for p in db.session.scalars(select(Participant).where(Participant.round_id == rnd.id))}
        return people, rnd.id, seated


def statements_for(app, client, path: str, headers=None) -> tuple[int, str]:
    found, html = statements_on(app, client, path, headers)
    return len(found), html


def statements_on(app, client, path: str, headers=None) -> tuple[list[str], str]:
    found = []

    def counted(_conn, _cursor, statement, *_rest):
        found.append(statement)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", counted)
    try:
        response = client.get(path, headers=headers or {})
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", counted)
    assert response.status_code == 200, path
    return found, response.get_data(as_text=True)


@pytest.mark.parametrize("name", ["Daan Visser", "Sanne Bakker", "Marieke de Vries", "Petra Jansen"])
def test_the_main_pages_keep_their_statement_budget(app, demo, name):
    """A member who brings in the next case, a member, a lead, and an admin of another team: the
    same budget for each, whatever they have on Vandaag."""
    people, round_id, seated = demo
    client = app.test_client()
    sign_in_as(client, people[name])
    pages = {"Vandaag": ("/", None), "overview": ("/intervisie/", None)}
    if people[name].id in seated:
        pages["round page"] = (f"/intervisie/rondes/{round_id}", None)
        pages["live state"] = (f"/intervisie/rondes/{round_id}/live/stand", {"HX-Request": "true"})
    for page, (path, headers) in pages.items():
        client.get(path, headers=headers or {})  # a first visit may write (last seen, a token)
        count, html = statements_for(app, client, path, headers)
        assert count <= BUDGETS[page], f"{page} for {name}: {count} statements"
        assert html.strip()


def test_vandaag_still_shows_every_card_it_reads_in_one_go(app, demo):
    """The cards that now share queries (the next round and later ones; feedback to give and
    to close) still show what they showed."""
    people, round_id, seated = demo
    daan = people["Daan Visser"]
    assert daan.id in seated
    client = app.test_client()
    sign_in_as(client, daan)
    html = client.get("/").get_data(as_text=True)
    assert re.search(rf'/intervisie/rondes/{round_id}"', html)  # the next round leads Vandaag


def test_the_case_read_with_the_round_follows_a_change_made_in_the_same_request(app, demo):
    """`access` reads whose the case is with the round; a case written, or removed by a new
    presenter, later in the same request is what the page then shows, never the one read before."""
    from app.intervisie import services
    people, round_id, seated = demo
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        roles = {p.role: p.person_id for p in rnd.participants}
        presenter, other = roles["presenter"], roles["participant"]
        plan = services.Plan(title=rnd.title, starts_at=rnd.starts_at, place=rnd.place, video_url=rnd.video_url,
                             method_key=rnd.method_key, minutes=list(rnd.minutes),
                             participant_ids=[p.person_id for p in rnd.participants],
                             facilitator_id=roles["facilitator"], presenter_id=other)
    with app.app_context():  # a request of its own: the round comes from `access`, as on a page
        acc = services.access(db.session, db.session.get(Person, presenter), round_id)
        assert services.round_case(db.session, acc.round).help_question  # the demo's prepared case
        services.save_case(db.session, acc.round, presenter, "Een nieuwe hulpvraag", "Nieuwe tekst")
        assert services.round_case(db.session, acc.round).help_question == "Een nieuwe hulpvraag"
        change = services.update_round(db.session, acc.round, plan)
        assert change.case_removed_for == presenter
        assert services.round_case(db.session, acc.round) is None
        db.session.rollback()


def test_a_round_page_reads_no_case_text_for_someone_who_may_not_read_it(app, demo):
    """A lead who does not take part sees the round's planning, never its case: the case's
    texts are not even read from the database for them (only whose the case is)."""
    from sqlalchemy import inspect as sa_inspect

    from app.intervisie import services
    people, round_id, seated = demo
    with app.app_context():
        lead = next(p for p in people.values() if p.is_admin and p.id not in seated)
        acc = services.access(db.session, db.session.get(Person, lead.id), round_id)
        assert acc is not None and acc.me is None  # planning data only
        assert acc.round.case is not None and {"help_question", "case_text"} <= sa_inspect(acc.round.case).unloaded
        from datetime import datetime, timezone
        assert services.visible_case(db.session, acc, datetime.now(timezone.utc)) is None
        assert {"help_question", "case_text"} <= sa_inspect(acc.round.case).unloaded


def test_the_unread_badge_comes_with_the_sign_in_and_follows_what_was_read(app, demo):
    """The badge is counted by the sign-in's own query, and opening a notification (a GET that
    writes) lowers it on the next page."""
    from app.notify import services as notify
    from app.notify.models import Notification
    people, _round_id, _seated = demo
    person = people["Sanne Bakker"]
    with app.app_context():
        for title in ("Eerste", "Tweede"):
            notify.notify(db.session, person.id, "test", title=title, body="", url="/")
        db.session.commit()
        unread = notify.unread_count(db.session, person.id)
        newest = db.session.scalars(select(Notification.id).where(Notification.person_id == person.id)
                                    .order_by(Notification.id.desc())).first()
    assert unread >= 2
    client = app.test_client()
    sign_in_as(client, person)
    client.get("/")
    found, html = statements_on(app, client, "/intervisie/")
    assert f'id="unread-badge">{unread}<' in html
    counting = [s for s in found if "count(notification.id)" in s.lower()]
    assert len(counting) == 1 and "person_session" in counting[0].lower()  # in the sign-in's query
    assert client.get(f"/meldingen/{newest}/open").status_code == 302
    assert f'id="unread-badge">{unread - 1}<' in client.get("/intervisie/").get_data(as_text=True)
