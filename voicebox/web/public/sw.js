// The family app's service worker: the pages and their files for a weak or absent network, and
// each message's audio kept once heard, served with Range from the cache (a player seeks by
// asking for parts). Audio is addressed as /offline-audio/<message>/<format>; the page adds
// ?from=<short-lived link> when it has one, and this worker keeps a copy as it passes.

const SHELL = "voicebox-shell-v1";
const AUDIO = "voicebox-audio-v1";
const AUDIO_KEPT = 40;
const PAGES = ["/", "/child"];

// The pages and every file they load, so the app opens with no network from the first visit on.
self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL);
      for (const page of PAGES) {
        const response = await fetch(page, { cache: "no-cache" });
        if (!response.ok) continue;
        const html = await response.clone().text();
        await cache.put(page, response);
        await cache.addAll([...new Set(html.match(/\/assets\/[^"']+/g) || [])]);
      }
      await self.skipWaiting();
    })(),
  );
});
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.startsWith("/offline-audio/")) event.respondWith(audio(event, url));
  else if (url.pathname.startsWith("/assets/")) event.respondWith(cacheFirst(event.request));
  else if (event.request.mode === "navigate" && PAGES.includes(url.pathname)) {
    event.respondWith(networkFirst(event.request, url.pathname));
  }
});

async function cacheFirst(request) {
  const cache = await caches.open(SHELL);
  const kept = await cache.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function networkFirst(request, page) {
  const cache = await caches.open(SHELL);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(page, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(page);
    if (kept) return kept;
    throw error;
  }
}

async function audio(event, url) {
  const cache = await caches.open(AUDIO);
  const key = url.pathname;
  const range = event.request.headers.get("Range");
  const kept = await cache.match(key);
  if (kept) return part(await kept.blob(), range, kept.headers.get("Content-Type"));
  const from = url.searchParams.get("from");
  if (!from) return new Response(null, { status: 404 });
  const start = range && Number(/bytes=(\d+)-/.exec(range)?.[1]);
  if (start) return fetch(from, { headers: { Range: range } });
  // From the start: the whole file, one copy to the player and one to the cache. The player's
  // copy goes without its length: a player that knows a file's length and may ask for any part
  // of it reads an Ogg file's end before it plays (its duration is only there), which on a 2G
  // link means the whole file first. A stream of unknown length plays as it comes.
  const response = await fetch(from);
  if (!response.ok || !response.body) return response;
  const [toPlayer, toCache] = response.body.tee();
  const headers = { "Content-Type": response.headers.get("Content-Type") || "audio/ogg" };
  event.waitUntil(
    cache.put(key, new Response(toCache, { headers })).then(() => prune(cache)),
  );
  return new Response(toPlayer, { headers });
}

function part(blob, range, type) {
  const headers = { "Content-Type": type || "audio/ogg", "Accept-Ranges": "bytes" };
  const match = range && /bytes=(\d*)-(\d*)/.exec(range);
  if (!match) return new Response(blob, { headers: { ...headers, "Content-Length": String(blob.size) } });
  const start = match[1] ? Number(match[1]) : Math.max(0, blob.size - Number(match[2]));
  const end = match[1] && match[2] ? Math.min(Number(match[2]), blob.size - 1) : blob.size - 1;
  if (start >= blob.size) {
    return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${blob.size}` } });
  }
  return new Response(blob.slice(start, end + 1), {
    status: 206,
    headers: { ...headers, "Content-Range": `bytes ${start}-${end}/${blob.size}`, "Content-Length": String(end - start + 1) },
  });
}

async function prune(cache) {
  const keys = await cache.keys();
  for (const key of keys.slice(0, Math.max(0, keys.length - AUDIO_KEPT))) await cache.delete(key);
}
