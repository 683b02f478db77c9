// Recordings kept on the phone (IndexedDB) from their first second until they are sent or
// discarded, so a call, a locked screen or a closed tab loses nothing.

const DB = "voicebox";
let opened;

function open() {
  opened ||= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore("drafts", { keyPath: "id" });
      request.result.createObjectStore("chunks", { autoIncrement: true }).createIndex("draft", "draft");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

async function run(stores, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(stores, mode);
    const result = work(tx);
    tx.oncomplete = () => resolve(result.result ?? result);
    tx.onerror = () => reject(tx.error);
  });
}

export function newDraftId() {
  return crypto.randomUUID();
}

// A draft: {id, owner, mime, ms, sealed, details}; `owner` says whose screen it belongs to.
export function saveDraft(draft) {
  return run(["drafts"], "readwrite", (tx) => tx.objectStore("drafts").put(draft));
}

export function addChunk(id, blob) {
  return run(["chunks"], "readwrite", (tx) => tx.objectStore("chunks").add({ draft: id, blob }));
}

export async function listDrafts(owner) {
  const drafts = await run(["drafts"], "readonly", (tx) => tx.objectStore("drafts").getAll());
  return drafts.filter((draft) => draft.owner === owner);
}

export async function draftAudio(draft) {
  const chunks = await run(["chunks"], "readonly", (tx) =>
    tx.objectStore("chunks").index("draft").getAll(draft.id),
  );
  return new Blob(
    chunks.map((chunk) => chunk.blob),
    { type: draft.mime },
  );
}

export function deleteDraft(id) {
  return run(["drafts", "chunks"], "readwrite", (tx) => {
    tx.objectStore("drafts").delete(id);
    const chunks = tx.objectStore("chunks");
    chunks.index("draft").getAllKeys(id).onsuccess = (event) => {
      for (const key of event.target.result) chunks.delete(key);
    };
    return {};
  });
}
