// A live stream read with fetch (EventSource cannot send the Authorization header). It resumes
// after a drop with Last-Event-ID, waiting as long as the server's `retry:` asks.

import { authHeaders } from "./api.js";

function parse(block) {
  const event = { name: "message", data: "", id: null, retry: null };
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const key = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (key === "data") event.data += (event.data ? "\n" : "") + value;
    else if (key === "event") event.name = value;
    else if (key === "id") event.id = value;
    else if (key === "retry") event.retry = Number(value);
  }
  return event;
}

export function follow(path, onEvent) {
  const stop = new AbortController();
  let lastId = null;
  let wait = 3000;
  (async () => {
    while (!stop.signal.aborted) {
      try {
        const headers = authHeaders({ Accept: "text/event-stream" });
        if (lastId) headers["Last-Event-ID"] = lastId;
        const response = await fetch(`/api/v1${path}`, { headers, signal: stop.signal, cache: "no-store" });
        if (response.status === 401 || response.status === 404) return;
        if (response.ok) {
          onEvent("open", null);
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value.replace(/\r\n?/g, "\n");
            let end;
            while ((end = buffer.indexOf("\n\n")) >= 0) {
              const event = parse(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
              if (event.retry) wait = event.retry;
              if (event.id) lastId = event.id;
              if (event.data) onEvent(event.name, JSON.parse(event.data));
            }
          }
        }
      } catch {
        if (stop.signal.aborted) return;
      }
      await new Promise((resolve) => setTimeout(resolve, wait * (0.5 + Math.random())));
    }
  })();
  return () => stop.abort();
}
