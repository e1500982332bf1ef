"""Push notifications on a phone: a push becomes a notification, a tap opens its screen, a
device's subscription is stored and listed, and the invitation on Vandaag moves nothing.

No real push service is involved: Chromium delivers the payload the server would send straight to
the service worker over the DevTools protocol (`ServiceWorker.deliverPushMessage`), which runs the
worker's real `push` handler.
"""
from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from .e2e_support import LEAD_NAME, open_app_phone, post_subscription, wait_for_service_worker

pytestmark = pytest.mark.e2e

NOTIFICATIONS = """async () => {
  const registration = await navigator.serviceWorker.ready;
  return (await registration.getNotifications()).map((n) => ({
    title: n.title, body: n.body, tag: n.tag, data: n.data, icon: n.icon, badge: n.badge, lang: n.lang,
  }));
}"""

# There is no protocol command to tap a notification, so the test does inside the worker what the
# browser does on a tap: dispatch a `notificationclick` with that notification, and the worker's
# own handler runs. Two things only a real tap allows are stood in for: waitUntil() (a constructed
# event may not call it; the test awaits the promise instead) and focusing a window (refused
# without a tap; the stand-in records which window the handler focused).
TAP = """async () => {
  const [notification] = await self.registration.getNotifications();
  const event = new NotificationEvent("notificationclick", {notification});
  const pending = [];
  event.waitUntil = (promise) => { pending.push(promise); };
  const focus = WindowClient.prototype.focus;
  const focused = [];
  WindowClient.prototype.focus = function () { focused.push(this.url); return Promise.resolve(this); };
  try {
    self.dispatchEvent(event);
    await Promise.all(pending);
  } finally {
    WindowClient.prototype.focus = focus;
  }
  return {waited: pending.length, focused, left: (await self.registration.getNotifications()).length};
}"""


@pytest.fixture
def app_phone(playwright_instance, live_server, lead, tmp_path):
    """Marieke's phone with a persistent profile, notifications allowed for Leerkring."""
    page = open_app_phone(playwright_instance, tmp_path / "profile", cookies=lead.storage_state["cookies"])
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    yield page
    page.context.close()


class PushDevTools:
    """The phone's service worker as DevTools sees it: push to it, and hear when it is done."""

    def __init__(self, page, url: str):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.registrations: dict[str, dict] = {}
        self.events: list[dict] = []
        self.cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: self.registrations.update(
            {r["registrationId"]: r for r in event["registrations"]}))
        self.cdp.on("BackgroundService.backgroundServiceEventReceived",
                    lambda event: self.events.append(event["backgroundServiceEvent"]))
        self.cdp.send("ServiceWorker.enable")
        # DevTools' "Background services" log: it reports when a push event has finished.
        self.cdp.send("BackgroundService.startObserving", {"service": "pushMessaging"})
        self.cdp.send("BackgroundService.setRecording", {"shouldRecord": True, "service": "pushMessaging"})
        self.registration_id = self._wait(lambda: next(
            (r["registrationId"] for r in self.registrations.values()
             if r["scopeURL"] == f"{url}/" and not r["isDeleted"]), None), "a service worker registration")
        self.origin = url

    def _wait(self, found, what: str, tries: int = 100):
        for _ in range(tries):  # protocol events only arrive while Playwright waits
            result = found()
            if result:
                return result
            self.page.wait_for_timeout(50)
        raise AssertionError(f"no {what}: {self.registrations} {self.events}")

    def push(self, payload: str) -> dict:
        """Deliver a push as the push service would; wait for the worker's push event to finish.

        Only then read the notifications: a getNotifications() while showNotification() is still
        under way can make Chromium drop the notification it is about to show (about one run in
        three did, when the test polled straight after the push).
        """
        self.cdp.send("ServiceWorker.deliverPushMessage",
                      {"origin": self.origin, "registrationId": self.registration_id, "data": payload})
        completed = self._wait(lambda: next((e for e in self.events if e["eventName"] == "Push event completed"),
                                            None), "completed push event")
        return {item["key"]: item["value"] for item in completed["eventMetadata"]}


def test_a_push_shows_a_notification_and_a_tap_opens_its_screen(app_phone, live_server):
    page, url = app_phone, live_server.url
    page.goto(f"{url}/meldingen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meldingen")
    wait_for_service_worker(page)
    assert page.evaluate("Notification.permission") == "granted"
    devtools = PushDevTools(page, url)

    marieke = live_server.person_id(LEAD_NAME)
    notification_id, payload = live_server.notify(
        marieke, title="Testmelding van Leerkring", body="Zie je dit? Dan komen meldingen aan.",
        url="/meldingen/instellingen")
    sent = json.loads(payload)
    assert sent["url"] == f"/meldingen/{notification_id}/open"
    page.reload()  # it is in her inbox, unread, before any push arrives
    card = page.locator(f'a[href="/meldingen/{notification_id}/open"]')
    expect(card).to_contain_class("unread")
    expect(page.locator("#unread-badge")).to_be_visible()
    assert devtools.push(payload) == {"Status": "Success"}  # the push handler's waitUntil() succeeded
    shown = page.evaluate(NOTIFICATIONS)
    assert len(shown) == 1, shown
    [notification] = shown
    assert notification["title"] == "Testmelding van Leerkring"
    assert notification["body"] == "Zie je dit? Dan komen meldingen aan."
    assert notification["tag"] == f"n{notification_id}"
    assert notification["data"] == {"url": f"/meldingen/{notification_id}/open"}
    assert notification["icon"] == f"{url}{sent['icon']}"
    assert notification["badge"] == f"{url}{sent['badge']}"
    assert notification["lang"] == "nl"
    assert not live_server.is_read(notification_id)

    # The tap: the worker focuses this window and sends it to the notification's screen, which
    # marks the notification read and redirects to what it is about.
    [worker] = [w for w in page.context.service_workers if w.url == f"{url}/sw.js"]
    tapped = worker.evaluate(TAP)
    page.wait_for_url(f"{url}/meldingen/instellingen")
    assert tapped == {"waited": 1, "focused": [f"{url}/meldingen"], "left": 0}, tapped  # closed, and this window
    expect(page.get_by_role("heading", level=1)).to_have_text("Meldingen")
    assert live_server.is_read(notification_id)

    page.goto(f"{url}/meldingen")
    expect(card).to_contain_text("Testmelding van Leerkring")
    expect(card).not_to_contain_class("unread")


def test_a_device_subscription_is_stored_and_listed(lead_phone, live_server):
    page, url = lead_phone, live_server.url
    page.goto(f"{url}/meldingen/instellingen")
    devices = page.get_by_role("region", name="Apparaten met meldingen")
    expect(devices.locator(".card")).to_have_count(0)

    # Headless Chromium refuses pushManager.subscribe(), so post what subscription.toJSON() gives,
    # as push.js does, with the CSRF token from the page.
    answer = post_subscription(page, "https://fcm.googleapis.com/fcm/send/e2e-test")
    assert answer["status"] == 201, answer
    assert isinstance(answer["body"]["id"], int)

    # An endpoint that is not a browser's push service is refused.
    refused = post_subscription(page, "https://example.org/push")
    assert refused["status"] == 400, refused

    page.reload()
    expect(devices.locator(".card")).to_have_count(1)
    remove = devices.get_by_role("button", name="Verwijder")
    expect(remove).to_be_visible()

    # And removed again: a confirm, then the list is empty.
    page.once("dialog", lambda dialog: dialog.accept())
    remove.click()
    expect(page.get_by_text("Dit apparaat krijgt geen meldingen meer.")).to_be_visible()
    expect(devices.locator(".card")).to_have_count(0)


# Adds up what the browser counts as layout shifts (not those right after a tap or a key press).
LAYOUT_SHIFTS = """(() => {
  window.__shift = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__shift += entry.value;
  }).observe({ type: "layout-shift", buffered: true });
})();"""


def test_the_push_invitation_appears_on_vandaag_without_moving_anything(lead_phone, live_server):
    """app.js shows the invitation after the page has loaded (only the browser knows whether push
    is possible and still undecided), so it comes last: nothing on screen moves for it."""
    page = lead_phone
    page.add_init_script(LAYOUT_SHIFTS)
    # On a slow phone the page is on screen before app.js runs; here too, by holding app.js back.
    page.route("**/static/js/app.*.js", lambda route: (time.sleep(0.5), route.continue_()))
    page.goto(f"{live_server.url}/")
    expect(page.locator("#push-invite")).to_be_visible()
    page.wait_for_timeout(300)  # layout-shift entries are reported after the frame
    assert page.evaluate("window.__shift") == 0
