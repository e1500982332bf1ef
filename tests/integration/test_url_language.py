"""One language per kind of name (docs/architecture.md, "Language"): URLs are Dutch, form field
names English. Old English links kept in mails, chats, calendars and bookmarks still lead to
the same page."""
from __future__ import annotations

import re

import pytest

from app.accounts import services as accounts
from app.extensions import db

# Path words that may stay as they are: names (teams, passkeys, privacy, feedback, buddies,
# intervisie), web conventions and files browsers and tools ask for by name, and loanwords a
# Dutch reader uses as is (live, stream, rsvp, plan, test, start, open).
ALLOWED = {
    "teams", "passkeys", "passkey", "privacy", "feedback", "buddies", "push", "static", "healthz", "readyz",
    "sw.js", "manifest.webmanifest", "robots.txt", "offline", "intervisie", "live", "stream", "rsvp",
    "plan", "test", "start", "open", "ics",
}
# Every other path word is Dutch. A new path word goes here (Dutch) or in ALLOWED (with a reason).
DUTCH = {
    "acties", "gedaan", "ervaring", "groep", "afspraak", "pauze", "stop", "schemas", "bekendmaken",
    "groepen", "afwijzen", "vastzetten", "instellingen", "inwerkbuddy", "loslaten", "voorstel", "opnieuw",
    "nieuw", "uitsluiten", "opheffen", "afronden", "antwoord", "verwijderen", "alleen", "geven", "ideeen",
    "vragen", "klaar", "agenda", "intrekken", "rondes", "afgelasten", "casus", "bijdragen", "helpt",
    "verberg", "waardeer", "stand", "terug", "toon", "verleng", "volgende", "reflectie", "wijzig",
    "overzicht", "uitnodiging", "uitnodigingen", "inloggen", "opties", "controle", "uitloggen",
    "meldingen", "apparaten", "verwijder", "gelezen", "profiel", "download", "gegevens", "sessies",
    "overal-uitloggen", "beveiliging", "herstel", "herstellink", "inrichten", "leden", "beheer",
    "logboek", "abonnementen",
}


def path_words(rule: str) -> set[str]:
    """The fixed words of a URL rule: no variables, no file suffixes after a variable."""
    words = set()
    for part in rule.strip("/").split("/"):
        part = re.sub(r"<[^>]+>", "", part)
        if part and not part.startswith("."):
            words.add(part)
    return words


def test_every_path_word_is_dutch_or_allowed(app):
    unknown = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("legacy."):
            continue  # the old English addresses, kept to redirect
        for word in path_words(rule.rule) - ALLOWED - DUTCH:
            unknown.setdefault(word, rule.rule)
    assert unknown == {}


@pytest.mark.parametrize("old, new", [
    ("/login?next=/intervisie/", "/inloggen?next=/intervisie/"),
    ("/login", "/inloggen"),
    ("/profile", "/profiel"),
    ("/profile/security", "/profiel/beveiliging"),
    ("/teams/new", "/teams/nieuw"),
])
def test_old_page_addresses_redirect_permanently(client, old, new):
    response = client.get(old)
    assert response.status_code == 301 and response.location == new


def test_old_invite_and_recovery_links_still_open_their_page(app, client, make_team, make_person):
    team = make_team()
    lead, colleague = make_person(team, role="lead"), make_person(team, name="Daan")
    with app.app_context():
        lead = db.session.merge(lead)
        invite = accounts.issue_invite(db.session, team=db.session.merge(team), role="member", make_admin=False,
                                       email=None, created_by=lead, days=7)
        recovery = accounts.issue_recovery(db.session, person=db.session.merge(colleague), issued_by=lead, hours=24)
        db.session.commit()
    joined = client.get(f"/invite/{invite.token}", follow_redirects=True)
    assert joined.status_code == 200 and joined.request.path == f"/uitnodiging/{invite.token}"
    recovered = client.get(f"/recover/{recovery.token}", follow_redirects=True)
    assert recovered.status_code == 200 and recovered.request.path == f"/herstel/{recovery.token}"
    assert "Daan" in recovered.get_data(as_text=True)


def test_old_login_link_keeps_where_to_go_after_signing_in(client):
    page = client.get("/login?next=/feedback/vragen", follow_redirects=True)
    assert page.request.path == "/inloggen"
    assert "/feedback/vragen" in page.get_data(as_text=True)  # handed to the sign-in script


@pytest.mark.parametrize("old, new", [
    ("/intervisie/teams/3/plan?sjabloon=4", "/intervisie/teams/3/plan?template=4"),
    ("/feedback/geven?aan=5", "/feedback/geven?to=5"),
    ("/feedback/vragen?aan=5", "/feedback/vragen?to=5"),
    ("/feedback/?collega=2", "/feedback/?colleague=2"),
    ("/intervisie/rondes/1/casus?idee=7", "/intervisie/rondes/1/casus?idea=7"),
])
def test_old_query_parameter_names_redirect_to_the_english_ones(client, old, new):
    response = client.get(old)
    assert response.status_code == 301 and response.location == new


def test_live_round_form_fields_are_english(app):
    """What the live screen posts is read under the same English names (a rename on one side only
    would be a 400 on every tap)."""
    from pathlib import Path
    templates = Path(app.template_folder)
    live = "".join((templates / "intervisie" / name).read_text() for name in ("live.html", "_macros.html"))
    for dutch in ("fase", "tekst", "inbrenger", "waardering", "helpt", "verberg", "minuten"):
        assert f'name="{dutch}"' not in live and f"'{dutch}':" not in live


def test_old_query_names_redirect_only_to_this_site_and_never_fail(client):
    """The redirect is built from the page's own address, and a query that is not UTF-8 is no 500."""
    assert client.get("/feedback/?maan=1").status_code == 302  # not an old name: the page (sign-in first)
    odd = client.get("/feedback/", environ_overrides={"QUERY_STRING": "aan=%FF&aan=2"})
    assert odd.status_code == 301 and odd.location.startswith("/feedback/?to=")
    assert client.get("/bestaat-niet?aan=1").status_code == 404
