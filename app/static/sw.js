// Leerkring's service worker. The server prepends VERSION and PRECACHE (the content-hashed
// static files and the offline page), so any deploy that changes a file changes this script.
//
// Pages and htmx fragments are personal and live: they always come from the network and are
// never cached. Static files have content-hashed names, so cache-first is always correct.
/* global VERSION, PRECACHE, SHELLS, LeerkringOutbox */
const CACHE = `leerkring-${VERSION}`;
const OFFLINE_URL = "/offline";

// The feedback outbox (IndexedDB), for Background Sync: the same code the pages use.
const OUTBOX_SCRIPT = PRECACHE.find((url) => /\/js\/outbox-store\.[0-9a-f]+\.js$/.test(url));
if (OUTBOX_SCRIPT) importScripts(OUTBOX_SCRIPT);

// A feature's offline shell (nothing personal) for its addresses, else the offline page.
const offlineFallback = (url) => {
  const prefix = Object.keys(SHELLS).filter((p) => url.pathname.startsWith(p)).sort((a, b) => b.length - a.length)[0];
  return prefix ? SHELLS[prefix] : OFFLINE_URL;
};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)));
  // The very first worker takes over at once; an update waits for the page to ask (SKIP_WAITING).
  if (!self.registration.active) self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("leerkring-") && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(async () => {
      const cache = await caches.open(CACHE);
      return (await cache.match(offlineFallback(url))) || (await cache.match(OFFLINE_URL)) || Response.error();
    }));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});

// Background Sync: send the feedback forms that waited for the network, and tell open pages.
self.addEventListener("sync", (event) => {
  if (event.tag !== self.LeerkringOutbox?.SYNC_TAG) return;
  event.waitUntil(self.LeerkringOutbox.flush(async (item, result) => {
    for (const client of await self.clients.matchAll({ type: "window" })) {
      client.postMessage({ type: "outbox", item: { key: item.key, clientId: item.clientId }, result });
    }
  }));
});

// Push: show what the server sent. The payload carries the URL of the screen it is about.
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { body: event.data?.text() }; }
  const title = data.title || "Leerkring";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    icon: data.icon,
    badge: data.badge,
    tag: data.tag,
    renotify: Boolean(data.tag),
    lang: "nl",
    data: { url: data.url || "/meldingen" },
  }));
});

// A tap opens that screen, in the Leerkring window that is already open if there is one.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || "/", self.location.origin).href;
  event.waitUntil((async () => {
    // A window this worker controls can be navigated; take one of those first.
    const open = (await self.clients.matchAll({ type: "window" }))[0] ||
      (await self.clients.matchAll({ type: "window", includeUncontrolled: true }))[0];
    if (open) {
      try {
        await open.focus();
        return await open.navigate(target);
      } catch {
        return self.clients.openWindow(target);
      }
    }
    return self.clients.openWindow(target);
  })());
});
