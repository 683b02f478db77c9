// Help: the child asks (a category, their voice or words, "right now"), and the thread with
// the helper's answers. It is only ever here, never on the home screen, and Exit leaves at once.

import { api, authHeaders } from "../shared/api.js";
import { h, mount } from "../shared/dom.js";
import { deleteDraft, draftAudio } from "../shared/drafts.js";
import { t } from "../shared/i18n.js";
import { Recorder } from "../shared/recorder.js";
import { app, view } from "./shell.js";

const HELP = "voicebox.help";
const CATEGORIES = { lonely: "🫂", family: "🏠", school: "🏫", bullying: "✋", safety: "🛡️", other: "💬" };
const HELP_LOOK_MS = 5000;
const VOICE_LIMIT_MS = 600000;

let helpTimer = null;
let leave = () => {};

function helpFrame(...content) {
  mount(app,
    h("header", { class: "top" }, h("button", { class: "exit", onclick: exitHelp }, h("span", { "aria-hidden": "true" }, "✖ "), t("help.exit"))),
    h("main", { class: "helping" }, ...content),
  );
}

function exitHelp() {
  clearTimeout(helpTimer);
  leave();
}

// The help screens, left for `exit`: the open request's thread, or a new request.
export async function helpScreen(exit) {
  view.screen = "help";
  leave = exit;
  const open = localStorage.getItem(HELP);
  if (open) {
    try {
      const request = await api(`/help-requests/${open}`);
      if (request.status !== "resolved") return thread(request);
    } catch {
      // Gone or unreachable: ask anew.
    }
    localStorage.removeItem(HELP);
  }
  helpFrame(
    h("h1", {}, t("help.title")),
    h("div", { class: "categories" },
      Object.entries(CATEGORIES).map(([category, icon]) =>
        h("button", { onclick: () => compose(category) }, h("span", { class: "icon", "aria-hidden": "true" }, icon), t(`help.category.${category}`)),
      ),
    ),
  );
}

function compose(category) {
  let recorder = null;
  let audio = null;
  const said = h("p", { role: "status" });
  const voice = h("div", { class: "row" });
  const showVoice = () => mount(voice, recorder
    ? h("button", { class: "big stop", onclick: stopVoice }, t("rec.stop"))
    : h("button", { class: "big record", onclick: startVoice }, h("span", { "aria-hidden": "true" }, "🎤 "), t("rec.record")),
  audio && !recorder ? h("span", {}, "✔ ", t("help.recorded")) : null);
  async function startVoice() {
    recorder = new Recorder({ owner: "help", limitMs: VOICE_LIMIT_MS, onLimit: stopVoice });
    try {
      await recorder.start();
    } catch {
      recorder = null;
      said.textContent = t("rec.no_microphone");
    }
    showVoice();
  }
  async function stopVoice() {
    const finished = recorder;
    recorder = null;
    const draft = await finished.stop();
    audio = await draftAudio(draft);
    await deleteDraft(draft.id);
    showVoice();
  }
  const text = h("textarea", { id: "help-text", maxlength: 2000, rows: 3 });
  const urgent = h("input", { type: "checkbox", id: "urgent" });
  const send = h("button", {
    class: "big go",
    onclick: async () => {
      if (recorder) await stopVoice();
      if (!audio && !text.value.trim()) {
        said.textContent = t("help.say_something");
        return;
      }
      const form = new FormData();
      form.set("category", category);
      form.set("urgent", urgent.checked ? "true" : "false");
      if (text.value.trim()) form.set("text", text.value.trim());
      if (audio) form.set("audio", audio, `help.${audio.type.includes("mp4") ? "m4a" : "webm"}`);
      send.disabled = true;
      said.textContent = t("rec.sending");
      try {
        const request = await api("/help-requests", { method: "POST", form });
        localStorage.setItem(HELP, request.id);
        thread(request);
      } catch {
        said.textContent = t("help.not_sent");
        send.disabled = false;
      }
    },
  }, t("help.send"));
  showVoice();
  helpFrame(
    h("h1", {}, h("span", { "aria-hidden": "true" }, `${CATEGORIES[category]} `), t(`help.category.${category}`)),
    voice,
    h("p", { class: "field" }, h("label", { for: "help-text" }, t("help.write")), text),
    h("p", { class: "check" }, urgent, h("label", { for: "urgent" }, t("help.right_now"))),
    send,
    said,
  );
}

// A recording in the thread: fetched with the token, played from the phone. Unreachable, it
// says nothing and the button can be pressed again.
async function playThreadAudio(url) {
  try {
    const response = await fetch(`${url}?format=opus_low`, { headers: authHeaders() });
    if (!response.ok) return;
    await new Audio(URL.createObjectURL(await response.blob())).play();
  } catch {
    // The network or the phone's audio said no; nothing is lost.
  }
}

function entry(author, text, audio, when) {
  return h("li", { class: author === "child" ? "mine" : "theirs" },
    h("p", { class: "who" }, author === "child" ? t("help.you") : author),
    text && h("p", {}, text),
    audio?.status === "ready" && h("button", { class: "big", onclick: () => playThreadAudio(audio.url) }, h("span", { "aria-hidden": "true" }, "▶ "), t("player.play")),
    h("p", { class: "meta" }, when ? new Date(when).toLocaleTimeString() : ""),
  );
}

function thread(request) {
  view.screen = "help";
  const list = h("ol", { class: "thread" });
  const fill = (current) => mount(list,
    entry("child", current.text, current.audio, current.created_at),
    current.replies.map((reply) => entry(reply.author === "child" ? "child" : reply.helper?.display_name || t("help.helper"), reply.text, reply.audio, reply.created_at)),
    !current.replies.some((reply) => reply.author !== "child") && h("li", { class: "waiting" }, "⏳ ", t("help.waiting")),
  );
  fill(request);
  const text = h("textarea", { id: "help-answer", maxlength: 2000, rows: 2 });
  const said = h("p", { role: "status" });
  helpFrame(
    h("section", { "aria-label": t("help.region"), class: "help-thread" }, h("h1", {}, t("help.title")), list),
    h("p", { class: "field" }, h("label", { for: "help-answer" }, t("help.write")), text),
    h("button", {
      class: "big go",
      onclick: async () => {
        if (!text.value.trim()) return;
        try {
          await api(`/help-requests/${request.id}/replies`, { method: "POST", body: { text: text.value.trim() } });
          text.value = "";
          said.textContent = "";
          look();
        } catch {
          said.textContent = t("help.not_sent");
        }
      },
    }, t("help.answer")),
    said,
  );
  // The thread, looked at again while it shows; a look that fails waits for the next.
  const look = async () => {
    clearTimeout(helpTimer);
    if (view.screen !== "help") return;
    try {
      fill(await api(`/help-requests/${request.id}`));
    } catch {
      // Unreachable for now: what is shown stays.
    } finally {
      if (view.screen === "help") helpTimer = setTimeout(look, HELP_LOOK_MS);
    }
  };
  helpTimer = setTimeout(look, HELP_LOOK_MS);
}
