// The child's face, on a paired phone: icons first, big targets, nothing along the bottom edge.
// Listen (unheard first, the next one plays by itself), answer by voice, take a story, and ask
// for help, with a way out of the help screens at once.

import "../shared/base.css";
import "./child.css";
import { api, authHeaders, session } from "../shared/api.js";
import { clock, h, mount } from "../shared/dom.js";
import { follow } from "../shared/events.js";
import { switchLanguage, t, useCatalogs } from "../shared/i18n.js";
import { Player } from "../shared/player.js";
import { Recorder } from "../shared/recorder.js";
import { deleteDraft, draftAudio } from "../shared/drafts.js";
import { recordingPanel } from "../shared/recording.js";
import { registerWorker } from "../shared/worker.js";
import en from "./catalog/en.json";
import zh from "./catalog/zh-CN.json";

useCatalogs({ "zh-CN": zh, en });

const app = document.getElementById("app");
const KEPT_INBOX = "voicebox.inbox";
const HELP = "voicebox.help";
const CATEGORIES = { lonely: "🫂", family: "🏠", school: "🏫", bullying: "✋", safety: "🛡️", other: "💬" };
const STORY_ICONS = { bedtime: "🌙", fairy_tale: "🧚", folk_tale: "🐉", science: "🔭", history: "🏯", poetry: "📜", family: "🏠", other: "📖" };
const HELP_LOOK_MS = 5000;
const REPLY_LIMIT_MS = 600000;

let messages = [];
let stopEvents = null;
let helpTimer = null;
let screen = "home";
const player = new Player(onPlayer);

function onPlayer(name, message) {
  if (name === "ended" && message) {
    const next = unheard().find((each) => each.id !== message.id);
    render();
    if (next) player.play(next);
    return;
  }
  if (name === "timeupdate") return updatePosition(message);
  if (screen === "home") render();
}

const unheard = () => messages.filter((message) => !message.played_at);

function sorted(items) {
  return [...items].sort((a, b) => (!a.played_at - !b.played_at) * -1 || (a.delivered_at < b.delivered_at ? 1 : -1));
}

function top(...extra) {
  return h("header", { class: "top" },
    ...extra,
    h("button", { class: "link", onclick: switchLanguage, lang: t("lang.other_code") }, t("lang.other")),
  );
}

// Pairing: the six digits a guardian reads aloud, on a big number pad.
function pairScreen(note) {
  const said = h("p", { role: "alert" }, note || "");
  const input = h("input", { id: "code", name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6, pattern: "[0-9]{6}", required: true, class: "code" });
  const press = (digit) => () => {
    if (digit === "⌫") input.value = input.value.slice(0, -1);
    else if (input.value.length < 6) input.value += digit;
  };
  const form = h("form", {
    class: "pair",
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        const { token } = await api("/devices/pair", { method: "POST", body: { code: input.value, device_name: t("child.device_name") } });
        session.save(token);
        start();
      } catch (error) {
        said.textContent = error.status === 404 || error.status === 422 ? t("pair.wrong") : t("error.generic");
      }
    },
  },
    h("p", { class: "field" }, h("label", { for: "code" }, t("pair.code")), input),
    h("div", { class: "pad" },
      ["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0"].map((digit) =>
        h("button", { type: "button", onclick: press(digit), "aria-label": digit === "⌫" ? t("pair.delete") : null }, digit),
      ),
    ),
    h("button", { class: "big go", type: "submit" }, t("pair.pair")),
    said,
  );
  mount(app, top(), h("main", {}, h("h1", {}, t("child.pair_title")), form));
}

async function start() {
  try {
    const me = await api("/me");
    if (me.role !== "child") {
      session.clear();
      return pairScreen();
    }
  } catch (error) {
    if (error.status === 401) return pairScreen();
  }
  await loadInbox();
  stopEvents?.();
  stopEvents = follow("/inbox/events", (name, message) => {
    if (name === "open") loadInbox();
    if (name !== "message" || messages.some((each) => each.id === message.id)) return;
    messages = sorted([message, ...messages]);
    keep();
    if (screen === "home") render();
  });
  home();
}

async function loadInbox() {
  try {
    const page = await api("/inbox?limit=50");
    messages = sorted(page.items);
    keep();
  } catch {
    // No network: what was here last time, whose heard audio plays from the phone.
    messages = JSON.parse(localStorage.getItem(KEPT_INBOX) || "[]");
  }
  if (screen === "home") render();
}

function keep() {
  localStorage.setItem(KEPT_INBOX, JSON.stringify(messages.slice(0, 50)));
}

function home() {
  screen = "home";
  clearTimeout(helpTimer);
  mount(app,
    top(h("button", { class: "help", onclick: helpScreen }, h("span", { "aria-hidden": "true" }, "🆘"), " ", t("help.need"))),
    h("main", {},
      h("ul", { "aria-label": t("messages.list"), class: "cards", id: "messages" }),
      h("section", { class: "reply", "aria-label": t("child.reply_region") },
        recordingPanel({
          owner: "child",
          startLabel: h("span", {}, h("span", { "aria-hidden": "true" }, "🎤 "), t("child.record_reply")),
          pausable: false,
          limitMs: () => REPLY_LIMIT_MS,
          send: (uploadId, draft) => api("/messages", { method: "POST", body: { upload_id: uploadId, to: "guardians", kind: "message" }, headers: { "Idempotency-Key": draft.id } }),
        }),
      ),
      h("button", { class: "big stories", onclick: storiesScreen }, h("span", { "aria-hidden": "true" }, "📚 "), t("stories.title")),
      speedSwitch(),
    ),
  );
  render();
}

// The messages alone: what else is on the home screen (a reply being recorded) stays as it is.
function render() {
  const list = screen === "home" && document.getElementById("messages");
  if (list) mount(list, messages.length ? messages.map(card) : h("li", { class: "empty" }, "📭 ", t("messages.none")));
}

function speedSwitch() {
  const buttons = [1, 1.5].map((speed) =>
    h("button", {
      "aria-pressed": String(player.speed === speed),
      onclick: () => {
        player.setSpeed(speed);
        buttons.forEach((button, i) => button.setAttribute("aria-pressed", String([1, 1.5][i] === speed)));
      },
    }, `${speed}×`),
  );
  return h("div", { class: "row speed", role: "group", "aria-label": t("player.speed") }, buttons);
}

function card(message) {
  const current = player.message?.id === message.id;
  const playing = current && player.playing;
  const position = current ? player.positionMs() : message.position_ms || 0;
  const slider = h("input", {
    type: "range",
    class: "position",
    "aria-label": t("player.position"),
    "data-id": message.id,
    min: 0,
    max: message.duration_ms || 0,
    step: 100,
    value: position,
    "aria-valuetext": clock(position),
    oninput: (event) => player.seek(message, Number(event.target.value)),
  });
  return h("li", { class: message.played_at ? "card heard" : "card new" },
    h("p", { class: "who" }, h("span", { class: "avatar", "aria-hidden": "true" }, message.kind === "story" ? "📖" : "👤"),
      message.title || message.sender.display_name, " · ", clock(message.duration_ms || 0)),
    h("div", { class: "wave" },
      h("div", { class: "bars", "aria-hidden": "true" }, (message.waveform || []).map((level) => h("i", { style: { height: `${Math.max(4, level)}%` } }))),
      slider,
    ),
    h("button", {
      class: "big play",
      disabled: !message.renditions?.length,
      onclick: () => (playing ? player.pause() : player.play(message).catch(() => render())),
    }, h("span", { "aria-hidden": "true" }, playing ? "⏸ " : "▶ "), playing ? t("player.pause") : t("player.play")),
  );
}

function updatePosition(message) {
  const slider = message && app.querySelector(`input.position[data-id="${message.id}"]`);
  if (!slider) return;
  slider.value = player.positionMs();
  slider.setAttribute("aria-valuetext", clock(player.positionMs()));
}

async function storiesScreen() {
  screen = "stories";
  const list = h("ul", { "aria-label": t("stories.title"), class: "cards" }, h("li", {}, "⏳"));
  mount(app, top(h("button", { class: "link", onclick: home }, "⬅ ", t("common.back"))), h("main", {}, h("h1", {}, t("stories.title")), list));
  const { items } = await api("/library?limit=50");
  mount(list, items.length ? items.map((story) =>
    h("li", { class: "card" },
      h("p", { class: "who" }, h("span", { class: "avatar", "aria-hidden": "true" }, STORY_ICONS[story.category] || "📖"), story.title || t("kind.story"), " · ", clock(story.duration_ms || 0)),
      h("button", {
        class: "big",
        onclick: async () => {
          if (!story.message_id) await api(`/library/stories/${story.id}/take`, { method: "POST" });
          await loadInbox();
          home();
        },
      }, h("span", { "aria-hidden": "true" }, "📥 "), t("stories.take")),
    )) : h("li", {}, t("stories.none")));
}

// Help: the thread is only ever here, never on the home screen; Exit leaves at once.
function helpFrame(...content) {
  mount(app,
    h("header", { class: "top" }, h("button", { class: "exit", onclick: home }, h("span", { "aria-hidden": "true" }, "✖ "), t("help.exit"))),
    h("main", { class: "helping" }, ...content),
  );
}

async function helpScreen() {
  screen = "help";
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
    recorder = new Recorder({ owner: "help", limitMs: REPLY_LIMIT_MS, onLimit: stopVoice });
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

async function playThreadAudio(url) {
  const response = await fetch(`${url}?format=opus_low`, { headers: authHeaders() });
  if (!response.ok) return;
  new Audio(URL.createObjectURL(await response.blob())).play();
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
  screen = "help";
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
  const look = async () => {
    clearTimeout(helpTimer);
    if (screen !== "help") return;
    try {
      fill(await api(`/help-requests/${request.id}`));
    } finally {
      if (screen === "help") helpTimer = setTimeout(look, HELP_LOOK_MS);
    }
  };
  helpTimer = setTimeout(look, HELP_LOOK_MS);
}

addEventListener("voicebox:signed-out", () => pairScreen(t("child.unpaired")));
registerWorker();
if (session.token()) start();
else pairScreen();
