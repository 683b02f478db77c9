// The home screen: the messages, a reply recorded by voice, the way to the stories, and the
// help button at the top.

import { api } from "../shared/api.js";
import { h, mount } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { recordingPanel } from "../shared/recording.js";
import { helpScreen } from "./help.js";
import { messagesList, render, speedSwitch } from "./inbox.js";
import { app, top, view } from "./shell.js";
import { storiesScreen } from "./stories.js";

const REPLY_LIMIT_MS = 600000;

export function home() {
  view.screen = "home";
  mount(app,
    top(h("button", { class: "help", onclick: () => helpScreen(home) }, h("span", { "aria-hidden": "true" }, "🆘"), " ", t("help.need"))),
    h("main", {},
      messagesList(),
      h("section", { class: "reply", "aria-label": t("child.reply_region") },
        recordingPanel({
          owner: "child",
          startLabel: h("span", {}, h("span", { "aria-hidden": "true" }, "🎤 "), t("child.record_reply")),
          pausable: false,
          limitMs: () => REPLY_LIMIT_MS,
          send: (uploadId, draft) => api("/messages", { method: "POST", body: { upload_id: uploadId, to: "guardians", kind: "message" }, headers: { "Idempotency-Key": draft.id } }),
        }),
      ),
      h("button", { class: "big stories", onclick: () => storiesScreen(home) }, h("span", { "aria-hidden": "true" }, "📚 "), t("stories.title")),
      speedSwitch(),
    ),
  );
  render();
}
