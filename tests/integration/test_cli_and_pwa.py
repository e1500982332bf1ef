"""The commands a newcomer runs, and the files that make Leerkring installable."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.accounts.models import Membership, Organisation, Person, Team
from app.extensions import db


def test_setup_link_is_printed_only_while_empty(app, runner, make_team):
    first = runner.invoke(args=["setup-link"]).output
    second = runner.invoke(args=["setup-link"]).output
    link1 = re.search(r"http://localhost/inrichten/(\S+)", first).group(1)
    link2 = re.search(r"http://localhost/inrichten/(\S+)", second).group(1)
    client = app.test_client()
    assert client.get(f"/inrichten/{link1}").status_code == 410  # replaced by the newer one
    assert client.get(f"/inrichten/{link2}").status_code == 200
    make_team()
    assert "/inrichten/" not in runner.invoke(args=["setup-link"]).output
    assert client.get(f"/inrichten/{link2}").status_code == 410


def test_invite_command(app, runner, make_team):
    make_team("Wijkteam Noord")
    result = runner.invoke(args=["invite", "sanne@example.org", "--team", "wijkteam noord", "--role", "admin"])
    assert result.exit_code == 0, result.output
    path = result.output.strip().removeprefix("http://localhost")
    assert path.startswith("/uitnodiging/")
    assert "Welkom bij Wijkteam Noord" in app.test_client().get(path).get_data(as_text=True)
    unknown = runner.invoke(args=["invite", "a@example.org", "--team", "Bestaat niet"])
    assert unknown.exit_code != 0 and "Wijkteam Noord" in unknown.output
    bad_role = runner.invoke(args=["invite", "a@example.org", "--team", "Wijkteam Noord", "--role", "baas"])
    assert bad_role.exit_code != 0


def test_demo_fills_an_empty_database(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    links = re.findall(r"http://localhost/herstel/\S+", result.output)
    assert len(links) == 3
    with app.app_context():
        assert db.session.scalar(select(func.count(Organisation.id))) == 1
        assert db.session.scalar(select(func.count(Team.id))) == 2
        people = db.session.scalars(select(Person)).all()
        assert 10 <= len(people) <= 14
        years = [p.experience_years for p in people]
        assert min(years) <= 2 and max(years) >= 15  # newcomers and old hands
        assert db.session.scalar(select(func.count(Membership.person_id)).where(Membership.role == "lead")) == 2
        from app.intervisie.models import Round
        rounds = db.session.scalars(select(Round)).all()
        assert {r.status for r in rounds} == {"planned", "finished"} and len(rounds) >= 3
    client = app.test_client()
    assert all(client.get(link.removeprefix("http://localhost")).status_code == 200 for link in links)
    again = runner.invoke(args=["demo"])
    assert again.exit_code != 0


def test_manifest(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    data = response.get_json(force=True)
    assert data["name"] == "Leerkring" and data["short_name"]
    assert data["display"] == "standalone" and data["scope"] == "/" and data["start_url"].startswith("/")
    assert data["theme_color"] and data["background_color"]
    sizes = {(i["sizes"], i["purpose"]) for i in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in data["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
        width = int.from_bytes(image.data[16:20], "big")
        assert f"{width}x{width}" == icon["sizes"]


def test_service_worker_is_served_at_root_scope_with_precache_list(client):
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    source = response.get_data(as_text=True)
    assert "/offline" in source and re.search(r"/static/css/app\.[0-9a-f]{10}\.css", source)


def test_offline_page_holds_nothing_personal(app, make_team, make_person, login):
    client = login(make_person(make_team(), name="Sanne Bakker"))
    page = client.get("/offline").get_data(as_text=True)
    assert "Je bent offline" in page
    assert "Sanne" not in page and "csrf-token" not in page


def test_ios_meta_tags_and_install_hint(app, make_team, make_person, login):
    client = login(make_person(make_team()))
    page = client.get("/").get_data(as_text=True)
    assert 'name="apple-mobile-web-app-capable"' in page and 'rel="apple-touch-icon"' in page
    assert 'id="ios-install-hint"' in page and "Zet op beginscherm" in page


def test_english_follows_the_browser(client):
    assert "Sign in" in client.get("/inloggen", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert "Inloggen" in client.get("/inloggen", headers={"Accept-Language": "nl-NL"}).get_data(as_text=True)
    assert "Inloggen" in client.get("/inloggen", headers={"Accept-Language": "fr"}).get_data(as_text=True)
