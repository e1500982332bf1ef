// Feedback forms that lose nothing: what is typed is kept in IndexedDB per form as it is typed
// and put back when the form opens again; a submit without network waits in a queue on the phone
// and goes when the connection returns (Background Sync where the browser has it, else on the
// "online" event or the next page load). Every submission carries the phone's own id
// (crypto.randomUUID), which the server stores once, so sending again never makes a duplicate.
//
// Forms opt in with data-outbox="<key>"; their status line is [data-outbox-status] with the
// translated texts in data-waiting, data-sent, data-failed. See docs/architecture.md, "Feedback".
(() => {
  "use strict";
  const box = self.LeerkringOutbox;
  if (!box || !("indexedDB" in self)) return;

  const SKIP = new Set(["csrf_token", "client_id", "accept_risk"]);
  const newId = () => (crypto.randomUUID ? crypto.randomUUID()
    : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));

  const formFor = (key) => document.querySelector(`form[data-outbox="${CSS.escape(key)}"]`);

  const say = (form, state, link) => {
    const line = form?.querySelector("[data-outbox-status]");
    if (!line) return;
    line.hidden = false;
    line.dataset.state = state;
    line.textContent = line.dataset[state] || "";
    if (link) {
      const a = document.createElement("a");
      a.href = link;
      a.textContent = line.dataset.view || "";
      line.append(" ", a);
    }
  };

  const fieldsOf = (form) => {
    const fields = {};
    for (const el of form.elements) {
      if (!el.name || SKIP.has(el.name) || el.type === "checkbox" || el.type === "submit") continue;
      fields[el.name] = el.value;
    }
    return fields;
  };

  const registerSync = async () => {
    try {
      const registration = await navigator.serviceWorker?.ready;
      await registration?.sync?.register(box.SYNC_TAG);
    } catch { /* no Background Sync here: the "online" event and the next page load send it */ }
  };

  const told = (item, result) => {
    const form = formFor(item.key);
    if (result.outcome === "sent") {
      say(form, "sent", result.url);
      form?.dispatchEvent(new CustomEvent("outbox-sent"));
    }
    else if (result.outcome === "refused") say(form, "failed");
    else say(form, "waiting");
  };

  let flushing = null;
  const flush = () => {
    flushing ??= box.flush(told).catch((error) => console.warn("outbox", error)).finally(() => { flushing = null; });
    return flushing;
  };

  const keep = async (form) => {
    const key = form.dataset.outbox;
    const clientField = form.elements.client_id;
    let draft = await box.get("drafts", key);
    const serverErrors = form.querySelector(".has-error, #findings, [role=alert]");
    if (draft && !serverErrors) {
      for (const [name, value] of Object.entries(draft.fields || {})) {
        const el = form.elements[name];
        if (el && value !== "") el.value = value;
      }
    }
    if (draft?.clientId) clientField.value = draft.clientId;
    if (!clientField.value) clientField.value = newId();
    draft = { key, clientId: clientField.value, fields: fieldsOf(form), failed: draft?.failed || false };
    if (draft.failed) say(form, "failed");
    if (await box.get("queue", draft.clientId)) say(form, "waiting");

    const save = () => box.put("drafts", { ...draft, fields: fieldsOf(form) }).catch(() => {});
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    await save();
    // Sent from the queue while this form is open: what it holds is on the server now, so what
    // is typed next is a new submission with a new id.
    form.addEventListener("outbox-sent", () => {
      form.reset();
      clientField.value = newId();
      draft = { key, clientId: clientField.value, fields: {}, failed: false };
    });
    form.dataset.outboxStep = "ready";

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      form.dataset.outboxStep = "saving";  // where a send is, for tests and for debugging
      await save();
      form.dataset.outboxStep = "queueing";
      // getAttribute: a field named "action" (the close form has one) shadows form.action.
      const url = new URL(form.getAttribute("action") || location.href, location.href).href;
      const item = { clientId: clientField.value, key, url, path: location.pathname,
                     body: new URLSearchParams(new FormData(form)).toString() };
      await box.put("queue", item);
      form.dataset.outboxStep = "sending";
      const result = navigator.onLine === false ? { outcome: "offline" } : await box.deliver(item);
      form.dataset.outboxStep = result.outcome;
      if (result.outcome === "sent") {
        await box.remove("queue", item.clientId);
        await box.remove("drafts", key);
        await box.remove("pages", item.path);
        location.assign(result.url);
      } else if (result.outcome === "offline") {
        say(form, "waiting");
        registerSync();
      } else {
        // The server wants something fixed (an empty field, a recognisable name): let it show
        // the form with its errors, next to the fields, with everything typed still in them.
        await box.remove("queue", item.clientId);
        HTMLFormElement.prototype.submit.call(form);
      }
    });
  };

  // A form page as it was opened, so it opens again without network (the service worker shows
  // the empty feedback shell for it; see below). Only pages with a feedback form are kept.
  const remember = (main) => box.put("pages", {
    path: location.pathname, title: document.title,
    html: main.innerHTML.replace(/<div class="flashes"[\s\S]*?<\/div>/, ""),
  }).catch(() => {});

  const start = async () => {
    const main = document.getElementById("main");
    const shell = document.querySelector("[data-outbox-shell]");
    if (shell) {
      const page = await box.get("pages", location.pathname);
      if (page) {
        main.innerHTML = page.html;
        document.title = page.title;
      }
    } else if (document.querySelector("form[data-outbox]")) {
      await remember(main);
    }
    await Promise.all([...document.querySelectorAll("form[data-outbox]")].map(keep));
    navigator.serviceWorker?.addEventListener("message", (event) => {
      if (event.data?.type === "outbox") told(event.data.item, event.data.result);
    });
    window.addEventListener("online", flush);
    if (navigator.onLine !== false) flush();
  };

  // Signing out on a shared phone: send what waits (briefly), then forget what was kept here, so
  // the next person to sign in never sees it. Then sign out as the form says.
  document.addEventListener("submit", (event) => {
    const form = event.target.closest?.("form[data-signout]");
    if (!form || form.dataset.cleared) return;
    event.preventDefault();
    const pause = new Promise((resolve) => { setTimeout(resolve, 3000); });
    Promise.race([flush(), pause]).then(() => box.clear()).catch(() => {}).finally(() => {
      form.dataset.cleared = "1";
      form.submit();
    });
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
