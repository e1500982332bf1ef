// The live round: a countdown that runs on every phone, the facilitator's gentle prompt when
// time is up, and a composer that empties after its item was sent. The state itself comes from
// the server: in the event stream's message after a change (hx-sse swaps it in), or, for a phone
// with something of its own on screen, fetched by htmx when the stream says "changed".
(() => {
  "use strict";
  let skew = 0; // server time minus this phone's clock, so every phone counts down alike

  const format = (seconds) => {
    const s = Math.max(0, Math.floor(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  };

  const readSkew = () => {
    const head = document.querySelector("[data-server-now]");
    if (head) skew = Date.parse(head.dataset.serverNow) - Date.now();
  };

  // "Ongedaan maken" stays a few seconds (the server says until when, on its clock).
  const expireUndo = () => {
    document.querySelectorAll("[data-undo-until]").forEach((undo) => {
      if (Date.parse(undo.dataset.undoUntil) <= Date.now() + skew) undo.hidden = true;
    });
  };

  // Drafts. What someone types is kept on this phone (localStorage, per round) as they type. When
  // the phase moves on to one without a text box (or the post was refused because it moved), the
  // text is offered back above the state instead of vanishing with the text box.
  const composer = () => document.querySelector("textarea[data-draft-key]");
  const draftKey = () => document.getElementById("live")?.dataset.draftKey;
  const readDraft = () => {
    try { return JSON.parse(localStorage.getItem(draftKey()) || "null"); } catch { return null; }
  };
  const writeDraft = (draft) => {
    try {
      if (draft && draft.text.trim()) localStorage.setItem(draftKey(), JSON.stringify(draft));
      else localStorage.removeItem(draftKey());
    } catch { /* storage full or blocked: the text box itself still holds the text */ }
  };
  const offerDraft = () => {
    const notice = document.getElementById("draft-kept");
    if (!notice || !draftKey()) return;
    const draft = readDraft();
    const box = composer();
    if (box && draft && !box.value && draft.phase === box.dataset.draftPhase) box.value = draft.text; // reloaded
    const inBox = box && draft && box.value === draft.text;
    if (inBox && draft.phase !== box.dataset.draftPhase) writeDraft({ ...draft, phase: box.dataset.draftPhase });
    notice.hidden = !draft || inBox;
    if (notice.hidden) return;
    document.getElementById("draft-kept-text").textContent = draft.text;
    document.getElementById("draft-kept-use").hidden = !box;
  };
  document.addEventListener("input", (event) => {
    const box = event.target.closest?.("textarea[data-draft-key]");
    if (box) writeDraft({ phase: box.dataset.draftPhase, text: box.value });
  });
  document.addEventListener("click", (event) => {
    const id = event.target.closest?.("button")?.id;
    const draft = readDraft();
    if (id === "draft-kept-drop") { writeDraft(null); offerDraft(); }
    if (id === "draft-kept-use" && draft && composer()) {
      composer().value = draft.text;
      writeDraft({ phase: composer().dataset.draftPhase, text: draft.text });
      offerDraft();
      composer().focus();
    }
    if (id === "draft-kept-copy" && draft) navigator.clipboard?.writeText(draft.text).catch(() => {});
  });

  const tick = () => {
    expireUndo();
    document.querySelectorAll("[data-ends-at]").forEach((timer) => {
      const left = (Date.parse(timer.dataset.endsAt) - (Date.now() + skew)) / 1000;
      const up = left <= 0;
      timer.textContent = up ? timer.dataset.timeUpText : format(left);
      timer.classList.toggle("is-up", up);
      document.querySelectorAll("[data-time-up]").forEach((prompt) => { prompt.hidden = !up; });
    });
  };

  // app.js sets htmx's metaCharacter to "-", which renames htmx's events (htmx-after-swap).
  const { htmxEvent } = window.Leerkring;
  document.addEventListener(htmxEvent("htmx:after:swap"), () => { readSkew(); tick(); offerDraft(); });
  document.addEventListener(htmxEvent("htmx:after:request"), (event) => {
    const form = event.target.closest?.("form[data-composer]");
    const status = event.detail?.ctx?.response?.status;
    if (form && status && status < 300) { form.reset(); writeDraft(null); offerDraft(); }
    // An undo was used: its notice has done its work.
    if (event.target.closest?.("#undo-region") && status && status < 300) {
      document.getElementById("undo-region").replaceChildren();
    }
  });

  // Catching up. The stream can outlive a lost connection (the fetch of the new state failed,
  // the stream itself did not notice), or be waiting out a long reconnect backoff. Back online,
  // restart it at once: the server begins every stream with the current version, so this phone
  // fetches what it missed.
  const live = () => document.getElementById("live");
  const refresh = () => { if (live()) window.htmx?.trigger(live(), "changed"); };
  let connection = null;

  // Opening the stream. hx-sse reconnects a stream that broke, but not one that never opened: a
  // phone without a connection at the moment the page opens would never hear a change. So the
  // opening request gets its own fetch (htmx's ctx.fetch) that keeps trying: after a network
  // failure it waits 1, 2, 4 ... 30 seconds, or until the phone is back online, and fetches
  // again. To htmx it is one request that takes a while, and nothing is logged twice (the browser
  // logs each failed fetch itself). When htmx's time for a request runs out, it answers 204
  // (nothing to swap) and a new opening begins; when the page goes away, it simply ends.
  const opening = { inFlight: false, wake: null };
  const streamUrl = () => live()?.getAttribute("data-hx-sse-connect");
  const openStream = () => {
    if (live() && !connection && !opening.inFlight) window.htmx?.ajax("GET", streamUrl(), { source: live() });
  };
  const pause = (ms, signal) => new Promise((resolve) => {
    const done = () => { window.clearTimeout(timer); opening.wake = null; resolve(); };
    const timer = window.setTimeout(done, ms);
    opening.wake = done;
    signal.addEventListener("abort", done, { once: true });
  });
  const fetchUntilOpen = async (url, init) => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await window.fetch(url, init);
      } catch {
        if (!init.signal.aborted) await pause(Math.min(30_000, 1000 * 2 ** attempt), init.signal);
        if (init.signal.aborted) {
          if (init.signal.reason !== "timeout") throw init.signal.reason; // an AbortError: htmx stays quiet
          window.setTimeout(openStream); // after htmx has finished this request
          return new Response(null, { status: 204 });
        }
      }
    }
  };
  document.addEventListener(htmxEvent("htmx:config:request"), (event) => {
    const ctx = event.detail?.ctx;
    if (event.target !== live() || ctx?.request?.action !== streamUrl()) return;
    opening.inFlight = true;
    ctx.fetch = fetchUntilOpen;
  });
  document.addEventListener(htmxEvent("htmx:finally:request"), (event) => {
    if (event.target === live()) opening.inFlight = false;
  });

  document.addEventListener(htmxEvent("htmx:sse:after:connection"), (event) => {
    connection = event.detail?.connection ?? null;
  });
  document.addEventListener(htmxEvent("htmx:sse:close"), () => { connection = null; });
  window.addEventListener("online", () => {
    if (connection?.reader) connection.reader.cancel(); // hx-sse reconnects, then hears the version
    else if (connection?.delayCanceller) connection.delayCanceller(); // skip the rest of the backoff
    else if (opening.wake) opening.wake(); // an opening waits to try again: now
    else openStream(); // none open: its first event is the version, so this catches up too
  });
  // The stream is up once it has said which version is current ("current": this page shows it
  // already; "changed": htmx fetches the state). Marked on #live, for the eye and for tests.
  const streamOpen = (event) => { if (event.target === live()) live().dataset.stream = "open"; };
  document.addEventListener("current", streamOpen);
  document.addEventListener("changed", streamOpen);
  document.addEventListener(htmxEvent("htmx:sse:close"), () => { if (live()) live().dataset.stream = "closed"; });
  // The server ends the stream for good ("gone") when this person may no longer follow the round
  // (signed out, left it). hx-sse closes it; reload so the server shows where they stand now.
  document.addEventListener("gone", (event) => { if (event.target === live()) window.location.reload(); });
  // A state fetch that failed while the stream stayed up (a short drop): try again shortly.
  let retry = null;
  document.addEventListener(htmxEvent("htmx:error"), (event) => {
    if (event.target?.id !== "live-state" || retry) return;
    retry = window.setTimeout(() => { retry = null; if (navigator.onLine) refresh(); }, 2000);
  });

  document.addEventListener("DOMContentLoaded", () => {
    readSkew();
    tick();
    offerDraft();
    window.setInterval(tick, 1000);
  });
})();
