// The terminal's service worker: the screen's files are answered from the cache first (the screen
// loads and works with the server unreachable) and refreshed from the network behind it. Ratings and
// the device's profile are not cached here: they live in IndexedDB (terminal.js).
"use strict";
const CACHE = "haochaping-terminal-v1";
const SHELL = ["/terminal", "/terminal/app.js", "/terminal/screen.js", "/terminal/style.css", "/terminal/manifest.webmanifest"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !SHELL.includes(url.pathname)) {
    return; // the API goes to the network as usual
  }
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(url.pathname);
      const fresh = fetch(event.request)
        .then((answer) => {
          if (answer.ok) cache.put(url.pathname, answer.clone());
          return answer;
        })
        .catch(() => undefined);
      if (cached) {
        event.waitUntil(fresh);
        return cached;
      }
      return (await fresh) || Response.error();
    })
  );
});
