// Sending a recording: a stock tus client (loaded only now), resumable across a dropped network
// and a reload. A recorded Blob has no name or date, so the draft's id is the fingerprint under
// which the client remembers the upload's URL; the server's offset says where to go on.

import { authHeaders, session } from "./api.js";

const RETRY_MS = [0, 1000, 3000, 5000, 10000, 15000, 20000, 30000, 30000, 60000, 60000, 60000];

export async function upload(blob, draftId, onProgress) {
  const { Upload } = await import("tus-js-client");
  return new Promise((resolve, reject) => {
    const transfer = new Upload(blob, {
      endpoint: "/api/v1/uploads",
      chunkSize: 64 * 1024,
      retryDelays: RETRY_MS,
      headers: authHeaders(),
      metadata: { filetype: blob.type, filename: `${draftId}.${blob.type.includes("mp4") ? "m4a" : "webm"}` },
      fingerprint: async () => `voicebox-${draftId}-${session.token()?.slice(-8)}`,
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => onProgress(sent / total),
      onSuccess: () => {
        removeEventListener("online", again);
        resolve(transfer.url.split("/").pop());
      },
      onError: (error) => {
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
