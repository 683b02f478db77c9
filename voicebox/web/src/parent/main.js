// The parent's face: sign in, add and pair a child, record and send, follow each message live,
// hear the child's replies, and look after the child's phones, guardians and quiet hours. A
// module a screen or card; this one starts the app and follows the inbox.

import "../shared/base.css";
import "./parent.css";
import { api, session } from "../shared/api.js";
import { follow } from "../shared/events.js";
import { useCatalogs } from "../shared/i18n.js";
import { registerWorker } from "../shared/worker.js";
import { authScreen } from "./auth.js";
import en from "./catalog/en.json";
import zh from "./catalog/zh-CN.json";
import { consentAgainScreen } from "./consent_again.js";
import { home } from "./home.js";
import { refresh, stopRefreshing } from "./messages.js";
import { state } from "./shell.js";

useCatalogs({ "zh-CN": zh, en });

let stopEvents = null;

async function start() {
  state.me = await api("/me");
  if (state.me.role === "child") {
    location.replace("/child");
    return;
  }
  state.children = (await api("/children")).items;
  stopEvents?.();
  stopEvents = follow("/inbox/events", (name) => name === "message" && refresh());
  home(state.children[0] || null);
}

function signIn() {
  authScreen(start);
}

function signedOut() {
  stopEvents?.();
  stopRefreshing();
  state.me = null;
  signIn();
}

addEventListener("voicebox:signed-out", signedOut);
addEventListener("voicebox:consent-required", (event) =>
  consentAgainScreen(event.detail?.childId, (child) => home(state.child || child)),
);
document.addEventListener("visibilitychange", () => !document.hidden && state.me && refresh());
registerWorker();
if (session.token()) start().catch(signIn);
else signIn();
