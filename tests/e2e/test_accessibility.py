"""Every page, on a 320 px wide phone, in light and dark: axe-core, fit, touch targets, valid HTML.

One module-scoped walk visits each page once and records what the checks need; the tests below
then judge each page on its own, so a failure names the page. The HTML of all pages goes through
ONE run of the W3C Nu checker (starting Java is the slow part).
"""
from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .e2e_support import (
    LEAD_NAME, ROOT, TEAM, create_passkey, open_phone, post_subscription, start_live_server,
)

pytestmark = pytest.mark.e2e

WIDTH = 320
AXE_SOURCE = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SCHEMES = ("light", "dark")

# name: what the page is (the walk below visits them in this order).
PAGES = {
    "login": "/inloggen, signed out",
    "setup": "the setup form",
    "setup-errors": "the setup form after an empty submit",
    "setup-passkey": "the passkey step of the setup",
    "today": "Vandaag for the lead",
    "team": "the team page for its lead, with the invite form",
    "team-invited": "the team page after an invite was made (htmx)",
    "invite": "an invite page",
    "invite-errors": "an invite page after an empty submit",
    "invite-passkey": "the passkey step of an invite",
    "inbox-empty": "Meldingen, nothing yet",
    "inbox": "Meldingen with one unread and one read notification",
    "today-unread": "Vandaag for a member, with the unread badge in the menu",
    "notify-settings": "the notification settings",
    "notify-settings-errors": "the notification settings after an impossible time, with a device",
    "link-used": "a used invite link",
    "link-unknown": "an unknown invite link",
    "new-team": "new team, as admin",
    "new-team-errors": "new team after an empty submit",
    "profile": "the profile",
    "delete": "the account deletion confirmation",
    "recovery-link": "the recovery link for a colleague",
    "intervisie": "Intervisie for the lead, with a coming and a past round",
    "plan": "the plan form",
    "plan-errors": "the plan form after a submit without a title",
    "round": "a round page for a participant (the presenter), with the RSVP block",
    "case-warning": "the case editor warning about a recognisable detail (a BSN)",
    "live-planned": "the live page before the start, for the facilitator",
    "live-facilitator": "the live page in a write phase with a question, for the facilitator (htmx)",
    "live-write": "the live page in a write phase with a question, for the presenter (rating buttons)",
    "reflection": "the reflection form of the presenter",
    "agenda": "the calendar page after making a link",
    "overview": "the lead's overview of the team's rounds",
    "buddies": "Buddy's for the lead, with her schemes and her own settings",
    "buddy-scheme-new": "the new buddy scheme form",
    "buddy-scheme-errors": "the new buddy scheme form after a submit without a name",
    "buddy-preview": "the preview of a rotation with reasons, lock and reject",
    "buddy-scheme": "a scheme for its lead: spread, onboarding buddies, rotations",
    "today-buddy": "Vandaag for a member with a buddy",
    "buddies-pause-errors": "a member's buddy settings after a pause without a date",
    "feedback-empty": "Feedback for a member, nothing yet",
    "feedback-ask": "the ask-for-feedback form",
    "feedback-ask-errors": "the ask form after an empty submit",
    "feedback-asked": "a request waiting for its answer, for the asker",
    "feedback-answer": "the answer form with the asker's reflection above it",
    "feedback-close": "an answered request with the close form, for the asker",
    "feedback-solo": "the solo reflection form",
    "feedback-give": "the unasked feedback form",
    "feedback-timeline": "Feedback with a timeline, counts per loop and a case idea",
    "feedback-team": "the lead's counts of feedback in the team",
    "feedback-offline": "the feedback offline shell",
    "my-data": "Mijn gegevens (the readable export) of the presenter, after a case and a reflection",
    "privacy": "the privacy page, signed out",
    "offline": "/offline",
    "not-found": "a 404 page, signed in",
    "not-found-anonymous": "a 404 page, signed out",
}

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""

# Touch targets: links, buttons, summaries, and the labels of radios and checkboxes (the label is
# what a thumb hits). A link inside a sentence is exempt (WCAG 2.5.8's inline exception).
SMALL_TARGETS = """(minimum) => {
  const targets = document.querySelectorAll(
    "a[href], button, summary, input[type=submit], input[type=button], " +
    "label:has(input[type=radio]), label:has(input[type=checkbox])");
  const inSentence = (el) => el.tagName === "A" && getComputedStyle(el).display === "inline" &&
    el.parentElement.textContent.trim() !== el.textContent.trim();
  const small = [];
  for (const el of targets) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === "hidden") continue;
    if (inSentence(el)) continue;
    if (box.height < minimum || box.width < minimum) {
      small.push(`${el.outerHTML.slice(0, 120)} is ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""


@dataclass
class Audit:
    violations: dict[str, list] = field(default_factory=dict)  # colour scheme -> serious/critical
    scroll_width: int = 0
    small_targets: list[str] = field(default_factory=list)
    html: str = ""
    script_errors: list[str] = field(default_factory=list)


class Walk:
    def __init__(self):
        self.audits: dict[str, Audit] = {}
        self.errors: dict[Page, list[str]] = {}

    def watch(self, page: Page) -> Page:
        """Collect uncaught exceptions and console errors (CSP refusals show up there too)."""
        errors = self.errors.setdefault(page, [])
        page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
        # A 404 or 422 page makes Chromium log "Failed to load resource" for the page itself.
        page.on("console", lambda message: errors.append(message.text) if message.type == "error"
                and not message.text.startswith("Failed to load resource") else None)
        return page

    def audit(self, page: Page, name: str, html: str) -> None:
        assert name in PAGES, name
        page.wait_for_load_state("load")
        result = Audit(html=html)
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            if not page.evaluate("typeof window.axe === 'object'"):
                page.evaluate(AXE_SOURCE)
            found = page.evaluate(AXE_RUN)
            result.violations[scheme] = [v for v in found if v["impact"] in ("serious", "critical")]
        page.emulate_media(color_scheme="light")
        result.scroll_width = page.evaluate("document.documentElement.scrollWidth")
        result.small_targets = page.evaluate(SMALL_TARGETS, 44)
        result.script_errors = list(self.errors.get(page, []))
        self.errors.get(page, []).clear()
        self.audits[name] = result

    def get(self, page: Page, name: str, url: str, heading: str, status: int = 200,
            ready: str | None = None) -> None:
        """A page reached by a plain GET: the HTML is what the server sends (same cookies).
        `ready`: a script that is true once the page's own scripts have settled."""
        response = page.goto(url)
        assert response.status == status, f"{name}: {url} answered {response.status}"
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        if ready:
            page.wait_for_function(ready)
        self.audit(page, name, page.request.get(url).text())

    def submit(self, page: Page, name: str, button, heading: str, status: int = 200,
               ready: str | None = None) -> None:
        """A page that answers a form post: the HTML is that response's body."""
        with page.expect_navigation() as navigation:
            button.click()
        assert navigation.value.status == status, f"{name}: answered {navigation.value.status}"
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        if ready:
            page.wait_for_function(ready)
        self.audit(page, name, navigation.value.text())


# push.js has decided what the device card says (on, off, blocked, unsupported).
PUSH_SETTLED = """() => document.querySelector("[data-push-state]").textContent !== "" ||
  [...document.querySelectorAll("[data-push-ios], [data-push-unsupported], [data-push-denied]")]
    .some((el) => !el.hidden)"""


# The live page's stream has said which version is current (live.js marks #live).
LIVE_SETTLED = """() => document.getElementById('live')?.dataset.stream === 'open'"""


def phone_320(browser, **options) -> Page:
    return open_phone(browser, viewport={"width": WIDTH, "height": 740}, **options)


@pytest.fixture(scope="module")
def walk(browser, live_server, lead, tmp_path_factory) -> Walk:
    walk = Walk()
    url = live_server.url
    fresh = start_live_server(tmp_path_factory.mktemp("fresh"))  # setup needs an empty database
    anonymous = walk.watch(phone_320(browser))
    marieke = walk.watch(phone_320(browser, storage_state=lead.storage_state))
    try:
        walk.get(anonymous, "login", f"{url}/inloggen", "Inloggen")
        walk.get(anonymous, "offline", f"{url}/offline", "Je bent offline")
        walk.get(anonymous, "privacy", f"{url}/privacy", "Privacy")
        walk.get(anonymous, "not-found-anonymous", f"{url}/bestaat-niet", "Niet gevonden", 404)
        walk.get(anonymous, "link-unknown", f"{url}/uitnodiging/onbekend", "Deze link kennen we niet", 404)
        walk.get(anonymous, "link-used", live_server.used_invite_url(lead.team_id),
                 "Deze link is al gebruikt", 410)

        verder = anonymous.get_by_role("button", name="Verder")
        walk.get(anonymous, "setup", fresh.issue_setup_link(), "Welkom bij Leerkring")
        walk.submit(anonymous, "setup-errors", verder, "Welkom bij Leerkring", 422)
        expect(anonymous.locator(".field.has-error")).to_have_count(3)
        anonymous.get_by_label("Naam van je organisatie").fill("Jeugdzorg Elders")
        anonymous.get_by_label("Naam van je eerste team").fill("Wijkteam Zuid")
        anonymous.get_by_label("Je naam").fill("Fatima el Amrani")
        walk.submit(anonymous, "setup-passkey", verder, "Maak je passkey")

        live_server.add_member(lead.team_id, "Joost Bakker")  # someone to give a recovery link
        walk.get(marieke, "today", f"{url}/", "Hoi Marieke")
        expect(marieke.locator("#push-invite")).to_be_visible()  # audited with the push invitation
        walk.get(marieke, "team", f"{url}/teams/{lead.team_id}", TEAM)
        marieke.locator("#invite-panel").get_by_role("button", name="Maak uitnodiging").click()
        expect(marieke.locator("#issued-link")).to_be_visible()
        invite_url = marieke.locator("#issued-link").input_value()
        walk.audit(marieke, "team-invited", marieke.content())  # after the htmx swap: the live DOM

        walk.get(anonymous, "invite", invite_url, f"Welkom bij {TEAM}")
        walk.submit(anonymous, "invite-errors", verder, f"Welkom bij {TEAM}", 422)
        anonymous.get_by_label("Je naam").fill("Daan de Boer")
        walk.submit(anonymous, "invite-passkey", verder, "Maak je passkey")

        # Daan makes his passkey; this phone is his from here on.
        daan = anonymous
        create_passkey(daan, url)
        daan_id = live_server.person_id("Daan de Boer")
        walk.get(daan, "inbox-empty", f"{url}/meldingen", "Meldingen")
        live_server.notify(daan_id, title="Testmelding van Leerkring", body="Zie je dit? Dan komen meldingen aan.",
                           url="/meldingen/instellingen", read=True)
        live_server.notify(daan_id, title="Nog een testmelding", body="Deze heb je nog niet gelezen.",
                           url=f"/teams/{lead.team_id}")
        walk.get(daan, "inbox", f"{url}/meldingen", "Meldingen")
        expect(daan.locator(".inbox .unread")).to_have_count(1)
        walk.get(daan, "today-unread", f"{url}/", "Hoi Daan")
        expect(daan.locator("#unread-badge")).to_be_visible()
        walk.get(daan, "notify-settings", f"{url}/meldingen/instellingen", "Meldingen", ready=PUSH_SETTLED)
        expect(daan.get_by_role("button", name="Zet meldingen aan")).to_be_visible()
        assert post_subscription(daan, "https://fcm.googleapis.com/fcm/send/e2e-walk")["status"] == 201
        daan.reload()
        # A time that does not exist: the browser's time picker cannot make one, a hand-made post can.
        evening = daan.get_by_label("Stil vanaf")
        evening.evaluate("(input) => { input.type = 'text'; }")
        evening.fill("25:99")
        walk.submit(daan, "notify-settings-errors", daan.get_by_role("button", name="Bewaar"), "Meldingen", 422,
                    ready=PUSH_SETTLED)
        expect(daan.locator(".field.has-error")).to_have_count(1)
        expect(daan.get_by_text("Vul een tijd in, bijvoorbeeld 18:00.")).to_be_visible()
        expect(daan.get_by_label("Stil vanaf")).to_have_value("")  # 25:99 is no time to show again
        expect(daan.get_by_role("region", name="Apparaten met meldingen").locator(".card")).to_have_count(1)

        walk.get(marieke, "new-team", f"{url}/teams/nieuw", "Nieuw team")
        walk.submit(marieke, "new-team-errors", marieke.get_by_role("button", name="Maak team"),
                    "Nieuw team", 422)
        walk.get(marieke, "profile", f"{url}/profiel", "Profiel")
        walk.get(marieke, "delete", f"{url}/profiel/verwijder", "Account verwijderen")
        marieke.goto(f"{url}/teams/{lead.team_id}")
        walk.submit(marieke, "recovery-link", marieke.get_by_role("button", name="Herstellink voor Joost"),
                    "Herstellink voor Joost Bakker")
        walk_intervisie(walk, live_server, lead, marieke, daan)
        walk_buddies(walk, live_server, lead, marieke, daan)
        walk_feedback(walk, live_server, lead, marieke, daan, anonymous_phone=phone_320(browser))
        walk.get(marieke, "not-found", f"{url}/teams/999999", "Niet gevonden", 404)
    finally:
        anonymous.context.close()  # Daan's, by the end
        marieke.context.close()
        fresh.stop()
    return walk


def walk_intervisie(walk: Walk, live_server, lead, marieke: Page, daan: Page) -> None:
    """Intervisie: Marieke leads the rounds, Daan brings in a case, Joost takes part."""
    base = f"{live_server.url}/intervisie"
    people = dict(facilitator=LEAD_NAME, presenter="Daan de Boer", participants=["Joost Bakker"])
    live_server.plan_round(lead.team_id, title="Intervisie oktober", starts_in=-timedelta(days=14), **people)
    # Soon: a round may be started only shortly before its planned time.
    round_id = live_server.plan_round(lead.team_id, title="Intervisie december", starts_in=timedelta(minutes=30),
                                      **people)
    rnd = f"{base}/rondes/{round_id}"

    walk.get(marieke, "intervisie", f"{base}/", "Intervisie")
    expect(marieke.get_by_role("link", name=re.compile("Intervisie december"))).to_be_visible()
    walk.get(marieke, "plan", f"{base}/teams/{lead.team_id}/plan", "Plan een ronde")
    marieke.get_by_text("Meer opties").click()  # one screen: the title waits under "Meer opties"
    marieke.get_by_label("Titel").fill("")
    walk.submit(marieke, "plan-errors", marieke.get_by_role("button", name="Plan de ronde").first, "Plan een ronde", 422)
    expect(marieke.locator(".field.has-error")).to_have_count(1)
    expect(marieke.get_by_label("Titel")).to_be_visible()  # "Meer opties" opens itself for its error

    walk.get(daan, "round", rnd, "Intervisie december")
    expect(daan.get_by_role("region", name="Kom je?")).to_be_visible()
    daan.get_by_role("link", name="Bereid je casus voor").click()
    daan.get_by_label("Je hulpvraag").fill("Hoe kan ik de moeder helpen zonder het over te nemen?")
    daan.get_by_label("Je casus").fill("Een moeder (BSN 111222333) belt elke dag over haar zoon.")
    walk.submit(daan, "case-warning", daan.get_by_role("button", name="Bewaar je casus"), "Bereid je casus voor", 422)
    expect(daan.locator("#findings")).to_contain_text("111222333")

    # Marieke starts the round and goes to the questions (htmx); then asks one herself.
    walk.get(marieke, "live-planned", f"{rnd}/live", "Nog niet begonnen", ready=LIVE_SETTLED)
    phase = marieke.locator("#phase-name")
    marieke.get_by_role("button", name="Start de ronde").click()
    expect(phase).to_have_text("Situatie en hulpvraag")
    for name in ("Vragen in stilte", "Verhelderende vragen"):
        marieke.get_by_role("button", name="Volgende fase").click()
        expect(phase).to_have_text(name)
    marieke.get_by_label("Jouw vraag").fill("Wat heb je al geprobeerd?")
    marieke.get_by_role("button", name="Stel je vraag").click()
    expect(marieke.locator(".item-text")).to_have_text("Wat heb je al geprobeerd?")
    walk.audit(marieke, "live-facilitator", marieke.content())
    walk.get(daan, "live-write", f"{rnd}/live", "Verhelderende vragen", ready=LIVE_SETTLED)
    expect(daan.get_by_role("group", name="Waardeer deze vraag").get_by_role("button")).to_have_count(3)

    walk.get(daan, "reflection", f"{rnd}/reflectie", "Wat neem je mee?")
    marieke.goto(f"{base}/agenda")
    walk.submit(marieke, "agenda", marieke.get_by_role("button", name="Maak mijn agendalink"), "Rondes in je agenda")
    expect(marieke.get_by_label("Je agendalink")).to_have_value(re.compile(r"/intervisie/agenda/.+\.ics$"))
    walk.get(marieke, "overview", f"{base}/teams/{lead.team_id}/overzicht", TEAM)
    expect(marieke.get_by_role("table")).to_be_visible()
    walk.get(daan, "my-data", f"{live_server.url}/profiel/gegevens", "Mijn gegevens")


def walk_buddies(walk: Walk, live_server, lead, marieke: Page, daan: Page) -> None:
    """Buddies: Marieke makes a scheme for her team and publishes it; Daan sees his buddy."""
    base = f"{live_server.url}/buddies"
    walk.get(marieke, "buddy-scheme-new", f"{base}/schemas/nieuw", "Nieuw buddyschema")
    marieke.get_by_label("Naam", exact=True).fill("")
    create = marieke.get_by_role("button", name="Maak het schema")
    walk.submit(marieke, "buddy-scheme-errors", create, "Nieuw buddyschema", 422)
    expect(marieke.locator(".field.has-error")).to_have_count(1)
    marieke.get_by_label("Naam", exact=True).fill("Buddy's Noord")
    for box in marieke.get_by_role("group", name="Teams").get_by_role("checkbox").all():
        box.set_checked(box.evaluate("(input) => input.labels[0].textContent.trim()") == TEAM)
    walk.submit(marieke, "buddy-preview", create, re.compile("Voorstel voor"))
    marieke.get_by_role("button", name="Maak bekend").click()
    expect(marieke.get_by_role("heading", level=1)).to_have_text("Buddy's Noord")
    walk.audit(marieke, "buddy-scheme", marieke.content())
    walk.get(marieke, "buddies", f"{base}/", "Buddy's")
    walk.get(daan, "today-buddy", f"{live_server.url}/", "Hoi Daan")
    expect(daan.get_by_role("region", name=re.compile("^Je buddy"))).to_be_visible()
    daan.goto(f"{base}/")
    walk.submit(daan, "buddies-pause-errors", daan.get_by_role("button", name="Pauzeer"), "Buddy's", 422)
    expect(daan.locator(".field.has-error")).to_have_count(1)
def send_form(page: Page, button: str) -> None:
    """A feedback form goes through outbox.js (fetch), which then opens the result."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def walk_feedback(walk: Walk, live_server, lead, marieke: Page, daan: Page, anonymous_phone: Page) -> None:
    """Feedback: Daan asks Marieke after a home visit, she answers, he wraps up."""
    base = f"{live_server.url}/feedback"
    walk.get(daan, "feedback-empty", f"{base}/", "Feedback")
    walk.get(daan, "feedback-ask", f"{base}/vragen", "Vraag feedback")
    send = daan.get_by_role("button", name="Verstuur je vraag")
    walk.submit(daan, "feedback-ask-errors", send, "Vraag feedback", 422)
    # The title and the reflection; who to ask is already filled in: his buddy (walk_buddies).
    expect(daan.locator(".field.has-error")).to_have_count(2)
    daan.get_by_label("Aan wie vraag je het?").select_option(label=LEAD_NAME)
    daan.get_by_label("Over welk moment?").fill("Huisbezoek dinsdag")
    daan.get_by_label("Inzichten: deed ik het goede?").fill("Ik ging uit van weerstand.")
    walk.submit(daan, "feedback-asked", send, "Huisbezoek dinsdag")
    exchange_url = daan.url
    walk.get(marieke, "feedback-answer", exchange_url, "Huisbezoek dinsdag")
    marieke.get_by_label("Wat zag je gebeuren?").fill("Je bleef rustig.")
    send_form(marieke, "Verstuur")
    walk.get(daan, "feedback-close", exchange_url, "Huisbezoek dinsdag")
    daan.get_by_label("Eén concrete actie").fill("Eerst drie open vragen stellen.")
    send_form(daan, "Rond af")
    send_form(daan, "Inbrengen bij intervisie")
    walk.get(daan, "feedback-solo", f"{base}/alleen", "Reflecteer alleen")
    walk.get(daan, "feedback-give", f"{base}/geven", "Geef feedback")
    walk.get(daan, "feedback-timeline", f"{base}/", "Feedback")
    expect(daan.get_by_role("table")).to_be_visible()
    walk.get(marieke, "feedback-team", f"{base}/teams/{lead.team_id}", f"Feedback in {TEAM}")
    try:
        walk.watch(anonymous_phone)
        walk.get(anonymous_phone, "feedback-offline", f"{base}/offline", "Je bent offline")
    finally:
        anonymous_phone.context.close()


def describe(violations: list) -> str:
    lines = []
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        lines.extend(f"      {n['target']}: {n['summary']}" for n in v["nodes"][:5])
    return "\n".join(lines)


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_axe_violations(walk, name):
    audit = walk.audits[name]
    report = {scheme: found for scheme, found in audit.violations.items() if found}
    assert not report, f"{PAGES[name]}:\n" + "\n".join(
        f" {scheme}:\n{describe(found)}" for scheme, found in report.items())


@pytest.mark.parametrize("name", PAGES)
def test_fits_a_320_px_phone_with_big_enough_targets(walk, name):
    width, small = walk.audits[name].scroll_width, walk.audits[name].small_targets
    assert width <= WIDTH, f"{PAGES[name]} scrolls sideways ({width}px)"
    assert not small, f"{PAGES[name]}: targets under 44px:\n  " + "\n  ".join(small)


@pytest.mark.parametrize("name", PAGES)
def test_no_script_errors(walk, name):
    errors = walk.audits[name].script_errors
    assert not errors, f"{PAGES[name]}: {errors}"


@pytest.fixture(scope="module")
def nu_errors(walk, tmp_path_factory) -> dict[str, list[str]]:
    """Run the Nu checker once over every page's HTML: page name -> error messages."""
    folder = tmp_path_factory.mktemp("html")
    files = []
    for name, audit in walk.audits.items():
        path = folder / f"{name}.html"
        path.write_text(audit.html, encoding="utf-8")
        files.append(str(path))
    done = subprocess.run(["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *files],
                          capture_output=True, text=True, timeout=90)
    # vnu writes its JSON report to stderr and exits 1 when it found errors.
    assert done.returncode in (0, 1), f"vnu failed ({done.returncode}): {done.stdout}{done.stderr}"
    messages = json.loads(done.stderr)["messages"]
    errors: dict[str, list[str]] = {name: [] for name in walk.audits}
    for message in messages:
        name = Path(re.sub(r"^file:", "", message.get("url", ""))).stem
        where = f"line {message.get('lastLine', '?')}"
        errors.setdefault(name, []).append(f"{where}: {message['message']} [{message.get('extract', '')!r}]")
    return errors


@pytest.mark.parametrize("name", PAGES)
def test_valid_html(nu_errors, name):
    assert name in nu_errors, f"{PAGES[name]} was not checked"
    assert not nu_errors[name], f"{PAGES[name]}:\n  " + "\n  ".join(nu_errors[name])
