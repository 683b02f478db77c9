// The child's face, on a paired phone: icons first, big targets, nothing along the bottom edge.
// Listen (unheard first, the next one plays by itself), answer by voice, take a story, and ask
// for help, with a way out of the help screens at once. A module a screen; this one starts the
// app and follows the inbox.

import "../shared/base.css";
import "./child.css";
import { api, session } from "../shared/api.js";
import { follow } from "../shared/events.js";
import { t, useCatalogs } from "../shared/i18n.js";
import { registerWorker } from "../shared/worker.js";
import en from "./catalog/en.json";
import zh from "./catalog/zh-CN.json";
import { home } from "./home.js";
import { arrived, loadInbox } from "./inbox.js";
import { pairScreen } from "./pair.js";

useCatalogs({ "zh-CN": zh, en });

let stopEvents = null;

async function start() {
  try {
    const me = await api("/me");
    if (me.role !== "child") {
      session.clear();
      return pairScreen(start);
    }
  } catch (error) {
    if (error.status === 401) return pairScreen(start);
    // Unreachable: the phone's own copy of the inbox, and the stream reconnects by itself.
  }
  await loadInbox();
  stopEvents?.();
  stopEvents = follow("/inbox/events", (name, message) => {
    if (name === "open") loadInbox();
    if (name === "message") arrived(message);
  });
  home();
}

addEventListener("voicebox:signed-out", () => {
  stopEvents?.();
  pairScreen(start, t("child.unpaired"));
});
registerWorker();
if (session.token()) start();
else pairScreen(start);
