// The child's messages: unheard first, each a card to play (the next one plays by itself),
// kept on the phone for when the network is gone, and joined by each delivery as it lands.

import { api } from "../shared/api.js";
import { clock, h, mount } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { Player } from "../shared/player.js";
import { app, view } from "./shell.js";

const KEPT_INBOX = "voicebox.inbox";

let messages = [];
export const player = new Player(onPlayer);

function onPlayer(name, message) {
  if (name === "ended" && message) {
    const next = unheard().find((each) => each.id !== message.id);
    render();
    if (next) player.play(next).catch(() => render());
    return;
  }
  if (name === "timeupdate") return updatePosition(message);
  if (view.screen === "home") render();
}

const unheard = () => messages.filter((message) => !message.played_at);

function sorted(items) {
  return [...items].sort((a, b) => (!a.played_at - !b.played_at) * -1 || (a.delivered_at < b.delivered_at ? 1 : -1));
}

export async function loadInbox() {
  try {
    const page = await api("/inbox?limit=50");
    messages = sorted(page.items);
    keep();
  } catch {
    // No network: what was here last time, whose heard audio plays from the phone.
    messages = JSON.parse(localStorage.getItem(KEPT_INBOX) || "[]");
  }
  if (view.screen === "home") render();
}

// A delivery the live stream brought.
export function arrived(message) {
  if (messages.some((each) => each.id === message.id)) return;
  messages = sorted([message, ...messages]);
  keep();
  if (view.screen === "home") render();
}

function keep() {
  localStorage.setItem(KEPT_INBOX, JSON.stringify(messages.slice(0, 50)));
}

export function messagesList() {
  return h("ul", { "aria-label": t("messages.list"), class: "cards", id: "messages" });
}

// The messages alone: what else is on the home screen (a reply being recorded) stays as it is.
export function render() {
  const list = view.screen === "home" && document.getElementById("messages");
  if (list) mount(list, messages.length ? messages.map(card) : h("li", { class: "empty" }, "📭 ", t("messages.none")));
}

export function speedSwitch() {
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
