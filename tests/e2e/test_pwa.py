"""The installable app: service worker, manifest, icons and the offline page.

A persistent profile (not incognito), as on a phone: service workers and their caches behave as
they do for someone who opens Leerkring every day.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .e2e_support import open_app_phone, wait_for_service_worker

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_phone(playwright_instance, live_server, tmp_path):
    page = open_app_phone(playwright_instance, tmp_path / "profile")
    yield page
    page.context.close()


def test_installable_with_a_complete_manifest(app_phone, live_server):
    page = app_phone
    page.goto(f"{live_server.url}/inloggen")
    wait_for_service_worker(page)
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == f"{live_server.url}/sw.js"

    cdp = page.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert errors == [], errors

    response = page.request.get(f"{live_server.url}/manifest.webmanifest")
    assert response.ok
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] == "Leerkring"
    assert manifest["short_name"] == "Leerkring"
    assert manifest["start_url"] == "/?source=app"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0b6e69"
    assert manifest["background_color"] == "#f6f4ef"
    icons = {(icon["sizes"], icon.get("purpose", "any")): icon for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= set(icons)
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png"
        image = page.request.get(f"{live_server.url}{icon['src']}")
        assert image.ok, icon["src"]
        assert image.headers["content-type"] == "image/png", icon["src"]
        body = image.body()
        assert body[:8] == b"\x89PNG\r\n\x1a\n", icon["src"]
        width, height = int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big")
        assert f"{width}x{height}" == icon["sizes"], icon["src"]


def test_offline_shows_the_dutch_offline_page(app_phone, live_server):
    page = app_phone
    page.goto(f"{live_server.url}/inloggen")
    wait_for_service_worker(page)

    page.context.set_offline(True)
    try:
        page.goto(f"{live_server.url}/profiel")
        expect(page.get_by_role("heading", level=1)).to_have_text("Je bent offline")
        expect(page.get_by_role("link", name="Probeer opnieuw")).to_be_visible()
        # The cached stylesheet comes along: the page is styled, not bare HTML.
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 244, 239)"
        # The banner that says the app is offline shows too.
        expect(page.locator("#offline-banner")).to_be_visible()
    finally:
        page.context.set_offline(False)
