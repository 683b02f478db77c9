// The service worker keeps the pages and heard audio for when the network is gone.
export function registerWorker() {
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
}
