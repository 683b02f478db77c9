// Sending a recording: a stock tus client (loaded only now), resumable across a dropped network
// and a reload. A recorded Blob has no name or date, so the draft's id is the fingerprint under
// which the client remembers the upload's URL; the server's offset says where to go on.

import { authHeaders, session } from "./api.js";

// A chunk is what a drop can cost again: 32 KB is 5 s at 50 kb/s.
const CHUNK_BYTES = 32 * 1024;
const RETRY_MS = [0, 1000, 3000, 5000, 10000, 15000, 20000, 30000, 30000, 60000, 60000, 60000];

export async function upload(blob, draftId, onProgress) {
  const { Upload } = await import("tus-js-client");
  return new Promise((resolve, reject) => {
    const transfer = new Upload(blob, {
      endpoint: "/api/v1/uploads",
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_MS,
      headers: authHeaders(),
      metadata: { filetype: blob.type, filename: `${draftId}.${blob.type.includes("mp4") ? "m4a" : "webm"}` },
      fingerprint: async () => `voicebox-${draftId}-${session.token()?.slice(-8)}`,
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => onProgress(sent / total),
      // The stock rule gives up at once when the phone is offline; a weak network is why we
      // resume at all, so keep trying (and go on at once when the network is back).
      onShouldRetry: (error) => {
        const status = error.originalResponse?.getStatus() || 0;
        return !navigator.onLine || status === 0 || status >= 500 || [409, 423, 429].includes(status);
      },
      onSuccess: () => {
        removeEventListener("online", again);
        resolve(transfer.url.split("/").pop());
      },
      onError: (error) => {
        // Out of retries while still offline: the "online" listener goes on when it can.
        if (!navigator.onLine) return;
        removeEventListener("online", again);
        reject(error);
      },
    });
    // Back online before the next retry is due: go on at once.
    const again = () => transfer.abort().then(() => transfer.start());
    addEventListener("online", again);
    transfer.findPreviousUploads().then((previous) => {
      if (previous.length) transfer.resumeFromPreviousUpload(previous[0]);
      transfer.start();
    });
  });
}
