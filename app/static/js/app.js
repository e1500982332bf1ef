// Leerkring's page script: CSRF for htmx, the service worker, and small helpers. No inline
// script anywhere (the Content-Security-Policy forbids it), so behaviour hangs on data- attributes.
//
// The helpers every other script needs live here once, as window.Leerkring: base.html loads this
// file (deferred) before any page's own script, and deferred scripts run in document order.
(() => {
  "use strict";

  const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content;

  // htmx 4 writes modifiers with a colon (hx-sse:connect); a colon is not allowed in a valid
  // data- attribute name, so our templates use a dash (data-hx-sse-connect) instead.
  if (window.htmx) window.htmx.config.metaCharacter = "-";
  // ...and then names its own events with that character too: "htmx-after-swap", not
  // "htmx:after:swap". Listen under the name htmx really dispatches.
  const htmxEvent = (name) => name.replace(/:/g, window.htmx?.config.metaCharacter || ":");

  // iPhone and iPad (an iPad says "MacIntel" but has touch): push needs the home-screen app there.
  const isIOS = () => /iphone|ipad|ipod/i.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  const isStandalone = () => Boolean(navigator.standalone || matchMedia("(display-mode: standalone)").matches);

  // fetch() with the CSRF header and a JSON body, for the scripts that talk JSON (passkeys, push).
  const sendJSON = (url, method, body, signal) => fetch(url, {
    method, signal, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body ?? {}),
  });

  window.Leerkring = Object.freeze({ csrfToken, htmxEvent, isIOS, isStandalone, sendJSON });

  // htmx 4 does not inherit hx-headers implicitly; adding the token here covers every request.
  document.addEventListener(htmxEvent("htmx:config:request"), (event) => {
    const token = csrfToken();
    if (token) event.detail.ctx.request.headers["X-CSRFToken"] = token;
  });

  // Error responses to htmx requests land in #request-error (the server retargets them there,
  // leaving the rest of the page alone). A later request that succeeds clears the message.
  document.addEventListener(htmxEvent("htmx:after:request"), (event) => {
    const status = event.detail?.ctx?.response?.status;
    const region = document.getElementById("request-error");
    if (region && status && status < 400) region.replaceChildren();
  });

  // Destructive forms ask once.
  document.addEventListener("submit", (event) => {
    const message = event.target.dataset?.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  document.addEventListener("click", async (event) => {
    const copy = event.target.closest("[data-copy]");
    if (copy) {
      const field = document.querySelector(copy.dataset.copy);
      field.select();
      try { await navigator.clipboard.writeText(field.value); } catch { document.execCommand?.("copy"); }
      copy.dataset.done = "1";
      copy.textContent = copy.dataset.copied || "✓";
    }
    const share = event.target.closest("[data-share]");
    if (share && navigator.share) {
      const field = document.querySelector(share.dataset.share);
      navigator.share({ title: "Leerkring", url: field.value }).catch(() => {});
    }
  });

  const showShareButtons = (root) => {
    if (!navigator.share) return;
    root.querySelectorAll("[data-share]").forEach((button) => { button.hidden = false; });
  };
  document.addEventListener(htmxEvent("htmx:after:swap"), () => showShareButtons(document));

  // iPhone: push only works once Leerkring is on the home screen, so say how.
  const iosHint = () => {
    const hint = document.getElementById("ios-install-hint");
    if (!hint) return;
    if (isIOS() && !isStandalone() && !localStorage.getItem("ios-hint-dismissed")) hint.hidden = false;
    document.getElementById("ios-install-dismiss")?.addEventListener("click", () => {
      localStorage.setItem("ios-hint-dismissed", "1");
      hint.hidden = true;
    });
  };

  // Explain notifications before anyone is asked for permission; the asking happens after a tap
  // on the settings page.
  const pushInvite = () => {
    const card = document.getElementById("push-invite");
    if (!card || !("PushManager" in window) || !("Notification" in window)) return;
    if (Notification.permission !== "default" || localStorage.getItem("push-invite-dismissed")) return;
    card.hidden = false;
    document.getElementById("push-invite-dismiss")?.addEventListener("click", () => {
      localStorage.setItem("push-invite-dismissed", "1");
      card.hidden = true;
    });
  };

  const offlineBanner = () => {
    const banner = document.getElementById("offline-banner");
    const update = () => { banner.hidden = navigator.onLine; };
    window.addEventListener("online", update);
    window.addEventListener("offline", update);
    update();
  };

  // A new service worker waits until the person chooses to refresh, so nothing changes under
  // their thumbs halfway through a form.
  const registerServiceWorker = async () => {
    if (!("serviceWorker" in navigator)) return;
    const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    const banner = document.getElementById("update-banner");
    const offer = (worker) => {
      if (!worker || !navigator.serviceWorker.controller) return;
      banner.hidden = false;
      document.getElementById("update-button").onclick = () => worker.postMessage({ type: "SKIP_WAITING" });
    };
    offer(registration.waiting);
    registration.addEventListener("updatefound", () => {
      const worker = registration.installing;
      worker?.addEventListener("statechange", () => { if (worker.state === "installed") offer(worker); });
    });
    let reloading = false;
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      if (reloading || !banner || banner.hidden) return;
      reloading = true;
      window.location.reload();
    });
  };

  document.addEventListener("DOMContentLoaded", () => {
    showShareButtons(document);
    iosHint();
    pushInvite();
    offlineBanner();
    registerServiceWorker().catch((error) => console.warn("service worker", error));
  });
})();
