// The child's messages card: what the parent sent with its status as it moves (processing,
// delivered, heard), and the child's replies to play, newest first.

import { all } from "../shared/api.js";
import { clock, h, mount } from "../shared/dom.js";
import { formatTime, t } from "../shared/i18n.js";
import { Player } from "../shared/player.js";
import { problemText, state } from "./shell.js";

const STATUS = { processing: "Processing", scheduled: "Scheduled", delivered: "Delivered", played: "Heard", failed: "Failed" };
const FINAL = new Set(["played", "failed"]);
const REFRESH_MS = 8000;

let refreshTimer = null;
const player = new Player((name, message) => name !== "timeupdate" && message && renderMessages());

export function messagesCard() {
  return h("section", { class: "card" },
    h("h3", {}, t("messages.list")),
    h("ul", { "aria-label": t("messages.list"), class: "messages", id: "messages" }),
    h("p", { role: "alert", id: "messages-problem" }),
  );
}

export async function refresh() {
  clearTimeout(refreshTimer);
  const child = state.child;
  if (!child) return;
  try {
    const [sent, received] = await Promise.all([all("/outbox"), all("/inbox")]);
    if (state.child !== child) return;
    const mine = sent.filter((m) => m.recipient?.id === child.id).map((m) => ({ ...m, reply: false }));
    const replies = received.filter((m) => m.sender?.id === child.id).map((m) => ({ ...m, reply: true }));
    state.messages = [...mine, ...replies].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
    say("");
    renderMessages();
  } catch (error) {
    say(problemText(error));
  } finally {
    // Status moves on the server (transcoded, delivered, heard): look again while any can move
    // and someone is looking.
    if (state.messages.some((m) => !m.reply && !FINAL.has(m.status)) && state.child === child && !document.hidden) {
      refreshTimer = setTimeout(refresh, REFRESH_MS);
    }
  }
}

// What went wrong with the list or a reply's audio, under the list.
function say(text) {
  const said = document.getElementById("messages-problem");
  if (said) said.textContent = text;
}

function play(message) {
  player.play(message).catch((error) => say(problemText(error)));
}

export function stopRefreshing() {
  clearTimeout(refreshTimer);
}

function statusLine(message) {
  const word = t(`status.${STATUS[message.status]}`);
  if (message.status === "played") return `${word} ${formatTime(message.played_at)}`;
  if (message.status === "failed") return `${word}: ${t(`failure.${message.failure?.reason}`)}`;
  if (message.status === "scheduled" && message.deliver_at) return `${word} ${formatTime(message.deliver_at)}`;
  return word;
}

function renderMessages() {
  const list = document.getElementById("messages");
  if (!list) return;
  if (!state.messages.length) {
    mount(list, h("li", {}, t("messages.none")));
    return;
  }
  mount(list, state.messages.map((message) => {
    const playing = player.message?.id === message.id && player.playing;
    return h("li", { class: message.reply ? "reply" : "sent" },
      h("p", { class: "who" }, message.reply ? t("messages.from", { name: message.sender.display_name }) : (message.title || t(`kind.${message.kind}`))),
      h("p", { class: "meta" }, formatTime(message.created_at), " · ", clock(message.duration_ms || 0)),
      message.reply
        ? h("button", { class: "big", disabled: message.status !== "delivered" && message.status !== "played", onclick: () => (playing ? player.pause() : play(message)) }, playing ? t("player.pause") : t("player.play"))
        : h("p", { class: `status ${message.status}` }, statusLine(message)),
    );
  }));
}
