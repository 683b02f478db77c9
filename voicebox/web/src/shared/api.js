// The only way the app talks to the server: the public API, with the bearer token from this
// app's storage (never in a URL).

const TOKEN = "voicebox.token";

export const session = {
  token: () => localStorage.getItem(TOKEN),
  save: (token) => localStorage.setItem(TOKEN, token),
  clear: () => localStorage.removeItem(TOKEN),
};

export class Problem extends Error {
  constructor(status, body) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export function authHeaders(extra) {
  const token = session.token();
  return { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extra };
}

export async function api(path, { method = "GET", body, form, headers } = {}) {
  const init = { method, headers: authHeaders(headers), cache: "no-store" };
  if (form) init.body = form;
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/api/v1${path}`, init);
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    if (response.status === 401 && session.token()) {
      session.clear();
      dispatchEvent(new Event("voicebox:signed-out"));
    }
    // The privacy policy changed: a guardian agrees to it again, for the child the problem
    // names, before anything else.
    if (response.status === 428) {
      dispatchEvent(new CustomEvent("voicebox:consent-required", { detail: { childId: problem.child_id } }));
    }
    throw new Problem(response.status, problem);
  }
  return response.status === 204 ? null : response.json();
}

// Every page of a list.
export async function all(path) {
  const items = [];
  let cursor = "";
  do {
    const page = await api(`${path}${path.includes("?") ? "&" : "?"}limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}
