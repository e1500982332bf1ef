// The feedback outbox's storage and delivery, shared by the pages (outbox.js) and the service
// worker (sw.js imports it for Background Sync). No DOM here: it runs in both.
//
// IndexedDB "leerkring-outbox":
//   drafts  {key, clientId, fields, failed}  what is typed in one form, saved as it is typed
//   queue   {clientId, key, url, body, path}  a submit that waits for the network
//   pages   {path, title, html}               a form page as it was last opened, for offline use
(() => {
  "use strict";
  const NAME = "leerkring-outbox";

  const open = () => new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("drafts", { keyPath: "key" });
      db.createObjectStore("queue", { keyPath: "clientId" });
      db.createObjectStore("pages", { keyPath: "path" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  const run = async (store, mode, work) => {
    const db = await open();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(store, mode);
        const request = work(tx.objectStore(store));
        tx.oncomplete = () => resolve(request?.result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  };

  const get = (store, key) => run(store, "readonly", (s) => s.get(key));
  const put = (store, value) => run(store, "readwrite", (s) => s.put(value));
  const remove = (store, key) => run(store, "readwrite", (s) => s.delete(key));
  const all = (store) => run(store, "readonly", (s) => s.getAll());

  // Post one queued form. "sent": the server has it (it answers a stored id the same way again);
  // "offline": no answer, keep waiting; "refused": the server answered, but not with success
  // (an error to fix on the form, a session that ended); the draft stays for the person.
  const deliver = async (item) => {
    let response;
    try {
      response = await fetch(item.url, {
        method: "POST", body: item.body, credentials: "same-origin",
        // X-Outbox: the redirect after success answers 204 to this request, so its confirmation
        // (a flash message) waits for the page the person opens next.
        headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Outbox": "1" },
      });
    } catch {
      return { outcome: "offline" };
    }
    if (response.ok && response.redirected) return { outcome: "sent", url: response.url };
    return { outcome: "refused", status: response.status };
  };

  // Send everything that waits; after success the queue item, the draft of that submission and
  // the kept page go. `told(item, result)` hears each outcome.
  const flush = async (told = () => {}) => {
    for (const item of await all("queue")) {
      const result = await deliver(item);
      if (result.outcome === "offline") { told(item, result); break; }
      await remove("queue", item.clientId);
      const draft = await get("drafts", item.key);
      if (result.outcome === "sent") {
        if (draft?.clientId === item.clientId) await remove("drafts", item.key);
        if (item.path) await remove("pages", item.path);
      } else if (draft?.clientId === item.clientId) {
        await put("drafts", { ...draft, failed: true });
      }
      told(item, result);
    }
  };

  // Signing out: what this phone kept for the person (drafts, queue, kept pages) goes with them.
  const clear = () => Promise.all(["drafts", "queue", "pages"].map((store) => run(store, "readwrite", (s) => s.clear())));

  self.LeerkringOutbox = { get, put, remove, all, deliver, flush, clear, SYNC_TAG: "feedback-outbox" };
})();
