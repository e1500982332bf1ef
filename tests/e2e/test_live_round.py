"""A live intervisie round on three phones: the facilitator (Marieke, the lead), the presenter and
a participant. Every change reaches the other phones through the event stream within a second,
without a reload; what someone is typing survives; a phone that was offline catches up by itself.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from .e2e_support import LEAD_NAME, join_by_invite

pytestmark = pytest.mark.e2e

PRESENTER = "Sanne Bakker"
PARTICIPANT = "Youssef El Amrani"
WITHIN = 1_000  # ms from a tap on one phone to the change on the others

# Each phone notes when it first showed a phase name or a text, by the same clock as the taps
# (every context runs in the same browser, so performance.timeOrigin + now() is comparable).
WATCH = """(() => {
  window.__seen = {};
  window.__sse = 0;
  window.__log = [];
  const now = () => performance.timeOrigin + performance.now();
  const note = () => {
    const name = document.getElementById("phase-name")?.textContent.trim();
    if (name && !(name in window.__seen)) window.__seen[name] = now();
    for (const item of document.querySelectorAll("#live-state .item")) {
      const key = `item:${item.querySelector(".item-text")?.textContent.trim()}:${item.className}`;
      if (!(key in window.__seen)) window.__seen[key] = now();
    }
  };
  new MutationObserver(note).observe(document, {subtree: true, childList: true, characterData: true,
                                                attributes: true, attributeFilter: ["class"]});
  // The names htmx 4 gives its events once app.js set the metaCharacter to "-".
  document.addEventListener("htmx-sse-after-connection", (e) => {
    window.__sse += 1;
    window.__connection = e.detail?.connection;
  });
  for (const name of ["htmx-sse-error", "htmx-sse-close", "htmx-sse-after-connection", "htmx-sse-after-message",
                      "htmx-error"]) {
    document.addEventListener(name, (e) => window.__log.push([Math.round(now()) % 100000, name,
      String(e.detail?.error ?? e.detail?.reason ?? e.detail?.message?.data ?? "")]));
  }
  document.addEventListener("click", (event) => {
    if (event.target.closest("button")) window.__tapped = now();
  }, true);
})();"""


def open_live(page: Page, url: str, round_id: int) -> None:
    page.uncaught = []
    page.on("pageerror", lambda error: page.uncaught.append(str(error)))
    page.add_init_script(WATCH)
    page.goto(f"{url}/intervisie/rondes/{round_id}/live")
    expect(page.locator("#phase-name")).to_have_text("Nog niet begonnen")
    page.evaluate("window.__marker = 1")  # gone if the page ever reloads
    page.wait_for_function("() => window.__sse >= 1")  # the event stream is open


def tap(page: Page, name: str, *, within=None) -> float:
    """Press a button and return the moment of the tap (the phone's clock, ms)."""
    (within or page).get_by_role("button", name=name, exact=True).click()
    return page.evaluate("window.__tapped")


def shown_at(page: Page, key: str, timeout: float = 5_000) -> float:
    page.wait_for_function("(key) => key in window.__seen", arg=key, timeout=timeout)
    return page.evaluate("(key) => window.__seen[key]", key)


def item_key(text: str, classes: str = "card item") -> str:
    return f"item:{text}:{classes}"


def no_reload(*phones: Page) -> None:
    for phone in phones:
        assert phone.evaluate("window.__marker") == 1, "the page was reloaded"


@pytest.fixture
def phones(lead, live_server, lead_phone, new_phone):
    """Marieke (facilitator), Sanne (presenter) and Youssef (participant), each on their own phone
    with their own passkey, and a round planned for the three of them (and two more)."""
    url = live_server.url
    presenter, participant = new_phone(), new_phone()
    join_by_invite(presenter, url, live_server.invite_url(lead.team_id), PRESENTER)
    join_by_invite(participant, url, live_server.invite_url(lead.team_id), PARTICIPANT)
    round_id = live_server.plan_round(lead.team_id, title="Intervisie live", facilitator=LEAD_NAME,
                                      presenter=PRESENTER, participants=[PARTICIPANT],
                                      starts_in=timedelta(minutes=30))  # startable: within the hour before
    for phone in (lead_phone, presenter, participant):
        open_live(phone, url, round_id)
    return round_id, lead_phone, presenter, participant


def test_a_live_round_on_three_phones(phones, capsys):
    round_id, facilitator, presenter, participant = phones
    others = (presenter, participant)
    latencies: dict[str, list[float]] = {}
    fetched = []  # the presenter's requests for the state: none, it comes in the stream itself
    presenter.on("request", lambda request: "/live/stand" in request.url and fetched.append(request.url))

    def phase_reaches_everyone(button: str, phase: str) -> None:
        tapped = tap(facilitator, button)
        expect(facilitator.locator("#phase-name")).to_have_text(phase)
        late = [shown_at(phone, phase) - tapped for phone in others]
        latencies[phase] = late
        assert max(late) < WITHIN, f"{phase}: the other phones showed it after {late} ms"
        for phone in others:
            expect(phone.locator("#phase-name")).to_have_text(phase)

    # Start, then two phases on.
    phase_reaches_everyone("Start de ronde", "Situatie en hulpvraag")
    expect(presenter.locator("#expect")).to_contain_text("Vertel je situatie")
    phase_reaches_everyone("Volgende fase", "Vragen in stilte")
    phase_reaches_everyone("Volgende fase", "Verhelderende vragen")

    # Halfway through typing a question, the facilitator adds time: the round's version changes
    # and the new state reaches every phone again, but what Youssef typed stays.
    composer = participant.get_by_label("Jouw vraag")
    composer.fill("Wat deed je")
    version = int(participant.locator(".live-head").get_attribute("data-version"))
    tap(facilitator, "+5 minuten")
    expect(participant.locator(".live-head")).not_to_have_attribute("data-version", str(version))
    expect(composer).to_have_value("Wat deed je")
    composer.press_sequentially(" toen de moeder belde?")

    question = "Wat deed je toen de moeder belde?"
    tapped = tap(participant, "Stel je vraag")
    expect(participant.locator(".item-text", has_text=question)).to_be_visible()
    expect(composer).to_have_value("")  # sent: the composer is empty again
    late = [shown_at(phone, item_key(question)) - tapped for phone in (presenter, facilitator)]
    latencies["vraag"] = late
    assert max(late) < WITHIN, f"the question reached the others after {late} ms"

    # Sanne finds it a warm question; Youssef sees that.
    asked = presenter.locator(".item", has_text=question)
    tapped = tap(presenter, "warm", within=asked)
    late = shown_at(participant, item_key(question, "card item rating-warm")) - tapped
    latencies["warm"] = [late]
    assert late < WITHIN, f"the rating reached the participant after {late} ms"
    expect(participant.locator(".item", has_text=question)).to_have_class("card item rating-warm")

    # Youssef's phone loses its connection, and its stream with it, while the round moves on.
    # (Chromium would keep an open stream through its offline switch, so the test ends the read
    # as a lost connection does.) Back online, the phone catches up by itself: live.js restarts
    # the stream at once, whose first event sends it to fetch the version it missed.
    participant.context.set_offline(True)
    participant.evaluate("window.__connection.reader.cancel()")
    tap(facilitator, "Volgende fase")
    expect(presenter.locator("#phase-name")).to_have_text("De kern")
    participant.wait_for_timeout(2_500)  # longer than live.js's retry of a failed fetch
    expect(participant.locator("#phase-name")).to_have_text("Verhelderende vragen")  # still offline
    online = participant.evaluate("performance.timeOrigin + performance.now()")
    participant.context.set_offline(False)
    try:
        latencies["na offline"] = [shown_at(participant, "De kern") - online]
    except Exception:
        print("participant's stream:", *participant.evaluate("window.__log"), sep="\n  ")
        raise
    expect(participant.locator("#phase-name")).to_have_text("De kern")

    assert fetched == [], "the presenter's phone fetched the state instead of taking it from the stream"
    no_reload(facilitator, presenter, participant)
    uncaught = [error for phone in (facilitator, presenter, participant) for error in phone.uncaught]
    assert not uncaught, f"uncaught script errors: {uncaught}"
    with capsys.disabled():
        print("\nlive round: ms from the tap to the other phones:")
        for what, values in latencies.items():
            print(f"  {what}: " + ", ".join(f"{v:.0f}" for v in values))


def test_a_phone_that_cannot_open_the_stream_at_first_connects_when_it_can(lead, live_server, lead_phone):
    """hx-sse reconnects a stream that broke, not one that never opened: live.js tries the opening
    again (after 1 s, then 2 s), and htmx logs no error of its own for what the browser logged."""
    round_id = live_server.plan_round(lead.team_id, title="Eerst zonder verbinding", facilitator=LEAD_NAME,
                                      presenter=None, participants=[], starts_in=timedelta(minutes=30))
    refused = []

    def refuse_twice(route):
        if len(refused) < 2:
            refused.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    lead_phone.route("**/live/stream?*", refuse_twice)
    logged = []
    lead_phone.on("console", lambda message: message.type == "error" and logged.append(message.text))
    open_live(lead_phone, live_server.url, round_id)  # waits until the stream is open
    assert len(refused) == 2
    assert not [text for text in logged if text.startswith("htmx")], logged
    assert not lead_phone.uncaught
