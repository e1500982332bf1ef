// Push on this device: ask for permission only after a tap, subscribe with the app's VAPID key
// and hand subscription.toJSON() to the server. The server decides what is sent and when.
(() => {
  "use strict";

  const { isIOS, isStandalone, sendJSON: send } = window.Leerkring;  // app.js

  const setup = async (root) => {
    const show = (selector, on = true) => { const el = root.querySelector(selector); if (el) el.hidden = !on; };
    const state = root.querySelector("[data-push-state]");
    const errorBox = root.querySelector("[data-push-error]");
    const enable = root.querySelector("[data-push-enable]");
    const disable = root.querySelector("[data-push-disable]");

    if (isIOS() && !isStandalone()) { show("[data-push-ios]"); return; }
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      show("[data-push-unsupported]");
      return;
    }
    if (Notification.permission === "denied") { show("[data-push-denied]"); return; }

    const registration = await navigator.serviceWorker.ready;
    const current = await registration.pushManager.getSubscription();
    if (current) {
      state.textContent = root.dataset.msgOn;
      show("[data-push-disable]");
      send(root.dataset.subscribeUrl, "POST", current.toJSON()).catch(() => {}); // keep the server in step
    } else {
      state.textContent = root.dataset.msgOff;
      show("[data-push-enable]");
    }

    enable.addEventListener("click", async () => {
      errorBox.textContent = "";
      enable.disabled = true;
      try {
        if (await Notification.requestPermission() !== "granted") {
          show("[data-push-denied]");
          return;
        }
        const key = Uint8Array.fromBase64
          ? Uint8Array.fromBase64(root.dataset.vapidKey, { alphabet: "base64url" })
          : Uint8Array.from(atob(root.dataset.vapidKey.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
        const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
        const response = await send(root.dataset.subscribeUrl, "POST", subscription.toJSON());
        if (!response.ok) {
          errorBox.textContent = (await response.json()).error || "";
          await subscription.unsubscribe();
          return;
        }
        window.location.reload();
      } catch (error) {
        errorBox.textContent = error.message;
      } finally {
        enable.disabled = false;
      }
    });

    disable.addEventListener("click", async () => {
      const subscription = await registration.pushManager.getSubscription();
      if (subscription) {
        await send(root.dataset.subscribeUrl, "DELETE", { endpoint: subscription.endpoint });
        await subscription.unsubscribe();
      }
      window.location.reload();
    });
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-push]").forEach((root) => setup(root).catch((e) => console.warn("push", e)));
  });
})();
