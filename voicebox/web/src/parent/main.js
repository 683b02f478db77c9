// The parent's face: sign in, add and pair a child, record and send, follow each message live,
// hear the child's replies, and look after the child's phones, guardians and quiet hours.

import "../shared/base.css";
import "./parent.css";
import { all, api, session } from "../shared/api.js";
import { clock, field, formValues, h, mount } from "../shared/dom.js";
import { follow } from "../shared/events.js";
import { formatTime, lang, switchLanguage, t, useCatalogs } from "../shared/i18n.js";
import { Player } from "../shared/player.js";
import { recordingPanel } from "../shared/recording.js";
import { registerWorker } from "../shared/worker.js";
import en from "./catalog/en.json";
import zh from "./catalog/zh-CN.json";

useCatalogs({ "zh-CN": zh, en });

const STATUS = { processing: "Processing", scheduled: "Scheduled", delivered: "Delivered", played: "Heard", failed: "Failed" };
const FINAL = new Set(["played", "failed"]);
const REFRESH_MS = 8000;
const STORY_CATEGORIES = ["bedtime", "fairy_tale", "folk_tale", "science", "history", "poetry", "family", "other"];
const RELATIONS = ["parent", "grandparent", "other"];

const app = document.getElementById("app");
const state = { me: null, children: [], child: null, messages: [] };
let stopEvents = null;
let refreshTimer = null;
const player = new Player((name, message) => name !== "timeupdate" && message && renderMessages());

function header() {
  return h("header", { class: "top" },
    h("h1", {}, t("app.name")),
    h("button", { class: "link", onclick: switchLanguage, lang: t("lang.other_code") }, t("lang.other")),
    state.me && h("button", { class: "link", onclick: signOut }, t("auth.sign_out")),
  );
}

function problemText(error) {
  const fields = error.body?.errors ? Object.values(error.body.errors).flat().join(" ") : "";
  return `${error.status === 401 ? t("auth.wrong") : t("error.generic")} ${fields || error.message || ""}`.trim();
}

// A form that hands its values to `submit`; what went wrong is said under it (`say` words it).
function formCard(submit, say, ...children) {
  const said = h("p", { role: "alert" });
  const form = h("form", {
    class: "card",
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        await submit(formValues(form));
      } catch (error) {
        said.textContent = (say || problemText)(error);
      }
    },
  }, ...children, said);
  return form;
}

// Sign in, or sign up: one form at a time, so each field's name is unique on the page.
function authScreen(mode = "sign_in") {
  const signUp = mode === "sign_up";
  const form = formCard(async (values) => {
    const answer = signUp
      ? await api("/auth/register", { method: "POST", body: { ...values, role: "parent" } })
      : await api("/auth/login", { method: "POST", body: values });
    session.save(answer.token);
    await start();
  }, null,
    h("h2", {}, signUp ? t("auth.sign_up") : t("auth.sign_in")),
    field(t("auth.phone"), { name: "phone", type: "tel", autocomplete: "tel", required: true }),
    field(t("auth.password"), { name: "password", type: "password", required: true, minlength: signUp ? 8 : null, autocomplete: signUp ? "new-password" : "current-password" }),
    signUp && field(t("auth.your_name"), { name: "display_name", required: true, maxlength: 40, autocomplete: "name" }),
    h("button", { class: "big", type: "submit" }, signUp ? t("auth.sign_up") : t("auth.sign_in")),
  );
  mount(app, header(), h("main", {}, form,
    h("button", { class: "link", onclick: () => authScreen(signUp ? "sign_in" : "sign_up") },
      signUp ? t("auth.have_account") : t("auth.new_here")),
  ));
}

function signOut() {
  session.clear();
  stopEvents?.();
  clearTimeout(refreshTimer);
  state.me = null;
  authScreen();
}

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

function home(child) {
  state.child = child;
  const tabs = h("nav", { "aria-label": t("children.tabs"), class: "tabs" },
    state.children.map((each) =>
      h("button", { class: each === child ? "tab current" : "tab", "aria-current": each === child ? "page" : null, onclick: () => home(each) }, each.display_name),
    ),
    h("button", { class: "tab", onclick: addChildScreen }, t("children.add")),
    h("button", { class: "tab", onclick: joinScreen }, t("join.button")),
  );
  if (!child) {
    mount(app, header(), h("main", {}, tabs, h("p", { class: "card" }, t("children.none"))));
    return;
  }
  const messages = h("ul", { "aria-label": t("messages.list"), class: "messages", id: "messages" });
  mount(app, header(), h("main", {},
    tabs,
    h("h2", {}, child.display_name),
    nudgeCard(child),
    pairing(child),
    h("section", { class: "card", "aria-label": t("rec.new") },
      h("h3", {}, t("rec.new")),
      sendDetails(),
      recordingPanel({
        owner: `parent:${child.id}`,
        startLabel: t("rec.record"),
        pausable: true,
        limitMs: () => (storyChosen() ? 3600 : 600) * 1000,
        details: () => ({ child: child.id, ...sendChoices() }),
        send: (uploadId, draft) => sendMessage(uploadId, draft),
        onSent: refresh,
      }),
    ),
    h("section", { class: "card" }, h("h3", {}, t("messages.list")), messages),
    devicesCard(child),
    guardiansCard(child),
    schedulesCard(child),
    upcomingCard(child),
    quietHoursCard(child),
  ));
  refresh();
}

function storyChosen() {
  return document.getElementById("kind")?.value === "story";
}

// What to send the recording as: a message, or a story with its details (chosen before
// recording, since a story may be longer).
function sendDetails() {
  const story = h("div", { hidden: true },
    field(t("story.title"), { name: "title", id: "story-title", maxlength: 120 }),
    h("p", { class: "field" }, h("label", { for: "story-category" }, t("story.category")),
      h("select", { id: "story-category", name: "category" }, STORY_CATEGORIES.map((c) => h("option", { value: c }, t(`story.category.${c}`))))),
    field(t("story.series"), { name: "series_id", id: "story-series", maxlength: 64 }),
    field(t("story.episode"), { name: "episode", id: "story-episode", type: "number", min: 1 }),
    h("p", { class: "check" }, h("input", { type: "checkbox", id: "story-queue", name: "queue" }), h("label", { for: "story-queue" }, t("story.queue"))),
  );
  const kind = h("select", { id: "kind", onchange: () => (story.hidden = kind.value !== "story") },
    h("option", { value: "message" }, t("kind.message")),
    h("option", { value: "story" }, t("kind.story")),
  );
  return h("div", { class: "details" },
    h("p", { class: "field" }, h("label", { for: "kind" }, t("kind.label")), kind),
    story,
    h("p", { class: "check" }, h("input", { type: "checkbox", id: "urgent" }), h("label", { for: "urgent" }, t("kind.urgent"))),
  );
}

// What the parent chose on screen: a message or a story and its details, urgent or not.
function sendChoices() {
  const value = (id) => document.getElementById(id)?.value || undefined;
  const checked = (id) => document.getElementById(id)?.checked || false;
  const choices = { kind: value("kind") || "message", urgent: checked("urgent") };
  if (choices.kind === "story") {
    Object.assign(choices, {
      title: value("story-title"),
      category: value("story-category"),
      series_id: value("story-series"),
      episode: value("story-episode") ? Number(value("story-episode")) : undefined,
      queue: checked("story-queue"),
    });
  }
  return choices;
}

function sendMessage(uploadId, draft) {
  const { child, ...choices } = draft.details;
  return api("/messages", { method: "POST", body: { upload_id: uploadId, to: child, ...choices }, headers: { "Idempotency-Key": draft.id } });
}

function pairing(child) {
  const box = h("div", { class: "pairing" });
  let timer;
  const show = async () => {
    clearInterval(timer);
    const { code, expires_at } = await api(`/children/${child.id}/pairing-code`, { method: "POST" });
    const countdown = h("p", { role: "timer" });
    const until = new Date(expires_at).getTime();
    const tick = () => {
      const left = until - Date.now();
      countdown.textContent = left > 0 ? t("pair.expires_in", { time: clock(left) }) : t("pair.expired");
      if (left <= 0) clearInterval(timer);
    };
    tick();
    timer = setInterval(tick, 1000);
    mount(box,
      h("output", { class: "code", "aria-label": t("pair.code") }, code),
      h("p", {}, t("pair.read_aloud")),
      countdown,
      h("button", { class: "big", onclick: show }, t("pair.again")),
    );
  };
  mount(box, h("button", { class: "big", onclick: show }, t("pair.button")));
  return h("section", { class: "card" }, h("h3", {}, t("pair.title")), box);
}

async function refresh() {
  clearTimeout(refreshTimer);
  const child = state.child;
  if (!child) return;
  try {
    const [sent, received] = await Promise.all([all("/outbox"), all("/inbox")]);
    if (state.child !== child) return;
    const mine = sent.filter((m) => m.recipient?.id === child.id).map((m) => ({ ...m, reply: false }));
    const replies = received.filter((m) => m.sender?.id === child.id).map((m) => ({ ...m, reply: true }));
    state.messages = [...mine, ...replies].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
    renderMessages();
  } finally {
    // Status moves on the server (transcoded, delivered, heard): look again while any can move
    // and someone is looking.
    if (state.messages.some((m) => !m.reply && !FINAL.has(m.status)) && state.child === child && !document.hidden) {
      refreshTimer = setTimeout(refresh, REFRESH_MS);
    }
  }
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
        ? h("button", { class: "big", disabled: message.status !== "delivered" && message.status !== "played", onclick: () => (playing ? player.pause() : player.play(message)) }, playing ? t("player.pause") : t("player.play"))
        : h("p", { class: `status ${message.status}` }, statusLine(message)),
    );
  }));
}

// The privacy policy and the guardian's agreement to it (the server records its version).
function consent() {
  return [
    h("section", { class: "policy", tabindex: "0", "aria-label": t("consent.policy_title") },
      h("h3", {}, t("consent.policy_title")),
      [1, 2, 3, 4].map((n) => h("p", {}, t(`consent.policy_${n}`))),
    ),
    h("p", { class: "check" }, h("input", { type: "checkbox", id: "consent", name: "consent", required: true }), h("label", { for: "consent" }, t("consent.agree"))),
  ];
}

// A screen of its own for `form`, with the way back.
function aside(form) {
  mount(app, header(), h("main", {}, form, h("button", { class: "link", onclick: () => home(state.child) }, t("common.back"))));
}

// A second guardian joins with the code the first one was given.
function joinScreen() {
  const form = formCard(async (values) => {
    const child = await api("/guardian-invites/accept", { method: "POST", body: { code: values.code.trim(), guardian_consent: values.consent === "on" } });
    state.children.push(child);
    home(child);
  }, (error) => (error.status === 404 || error.status === 422 ? t("join.wrong") : problemText(error)),
    h("h2", {}, t("join.button")),
    field(t("guardians.code"), { name: "code", required: true, autocomplete: "off", maxlength: 32 }),
    consent(),
    h("button", { class: "big", type: "submit" }, t("join.submit")),
  );
  aside(form);
}

function addChildScreen() {
  const year = new Date().getFullYear();
  const form = formCard(async (values) => {
    const body = { display_name: values.display_name, birth_year: Number(values.birth_year), guardian_consent: values.consent === "on" };
    const child = await api("/children", { method: "POST", body });
    state.children.push(child);
    home(child);
  }, null,
    h("h2", {}, t("children.add")),
    field(t("children.name"), { name: "display_name", required: true, maxlength: 40 }),
    field(t("children.birth_year"), { name: "birth_year", type: "number", required: true, min: year - 18, max: year }),
    consent(),
    h("button", { class: "big", type: "submit" }, t("children.add_button")),
  );
  aside(form);
}

function listCard(title, load, item, more) {
  const list = h("ul", { "aria-label": title });
  const card = h("section", { class: "card" }, h("h3", {}, title), list, more);
  const fill = async () => {
    const items = await load();
    mount(list, items.length ? items.map((each) => item(each, fill)) : h("li", {}, t("common.none")));
  };
  fill();
  card.refill = fill;
  return card;
}

function devicesCard(child) {
  return listCard(t("devices.title"), () => api(`/children/${child.id}/devices`).then((page) => page.items), (device, fill) =>
    h("li", {}, `${device.name} · ${formatTime(device.paired_at)} `,
      h("button", {
        onclick: async () => {
          if (!confirm(t("devices.revoke_confirm", { name: device.name }))) return;
          await api(`/children/${child.id}/devices/${device.id}`, { method: "DELETE" });
          fill();
        },
      }, t("devices.revoke")),
    ),
  );
}

function guardiansCard(child) {
  const invite = h("div", {});
  const relation = h("select", { id: "relation" }, RELATIONS.map((r) => h("option", { value: r }, t(`relation.${r}`))));
  const ask = h("div", {},
    h("p", { class: "field" }, h("label", { for: "relation" }, t("guardians.relation")), relation),
    h("button", {
      onclick: async () => {
        const { code } = await api(`/children/${child.id}/guardian-invites`, { method: "POST", body: { relation: relation.value } });
        mount(invite, h("p", {}, t("guardians.invite_code")), h("output", { class: "code", "aria-label": t("guardians.code") }, code));
      },
    }, t("guardians.invite")),
    invite,
  );
  return listCard(t("guardians.title"), () => api(`/children/${child.id}/guardians`).then((page) => page.items), (guardian) =>
    h("li", {}, guardian.display_name, " · ", t(`relation.${guardian.relation}`)), ask);
}

function quietHoursCard(child) {
  const said = h("p", { role: "status" });
  const quiet = child.quiet_hours || { start: "21:30", end: "07:00" };
  const form = h("form", {
    onsubmit: async (event) => {
      event.preventDefault();
      const values = formValues(form);
      try {
        const changed = await api(`/children/${child.id}`, {
          method: "PATCH",
          body: { timezone: values.timezone, quiet_hours: { start: values.start, end: values.end } },
        });
        Object.assign(child, changed);
        said.textContent = t("common.saved");
      } catch (error) {
        said.textContent = problemText(error);
      }
    },
  },
    field(t("quiet.start"), { name: "start", type: "time", value: quiet.start, required: true }),
    field(t("quiet.end"), { name: "end", type: "time", value: quiet.end, required: true }),
    field(t("quiet.timezone"), { name: "timezone", value: child.timezone, required: true, maxlength: 64 }),
    h("button", { type: "submit" }, t("common.save")),
    said,
  );
  return h("section", { class: "card" }, h("h3", {}, t("quiet.title")), h("p", {}, t("quiet.explain")), form);
}

// The watchdog's nudge: the child has heard nothing from home for a while.
function nudgeCard(child) {
  const card = h("section", { class: "card nudge", hidden: true, "aria-label": t("nudge.title") });
  api(`/children/${child.id}/nudge`).then((nudge) => {
    if (!nudge) return;
    const prompt = nudge.prompt?.[lang.startsWith("zh") ? "zh" : "en"];
    mount(card,
      h("h3", {}, t("nudge.title")),
      h("p", {}, t("nudge.days", { name: child.display_name, days: nudge.days_since_contact })),
      prompt && h("p", { class: "prompt" }, t("nudge.prompt"), " ", h("q", {}, prompt)),
    );
    card.hidden = false;
  }).catch(() => {});
  return card;
}

const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];

function schedulesCard(child) {
  const said = h("p", { role: "status" });
  const time = h("input", { type: "time", id: "schedule-time", value: "20:00", required: true });
  const list = listCard(t("schedules.title"), async () => (await api(`/children/${child.id}/schedules`)).items, (schedule, fill) =>
    h("li", {}, `${schedule.time} · ${schedule.weekdays.length === 7 ? t("schedules.every_day") : schedule.weekdays.map((d) => t(`weekday.${d}`)).join(" ")} · ${t(`schedules.source.${schedule.source}`)} `,
      h("button", {
        onclick: async () => {
          await api(`/schedules/${schedule.id}`, { method: "PATCH", body: { paused: !schedule.paused } });
          fill();
        },
      }, schedule.paused ? t("schedules.resume") : t("schedules.pause")),
      " ",
      h("button", {
        onclick: async () => {
          await api(`/schedules/${schedule.id}`, { method: "DELETE" });
          fill();
        },
      }, t("schedules.delete")),
    ),
    h("form", {
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          await api(`/children/${child.id}/schedules`, { method: "POST", body: { time: time.value, weekdays: WEEKDAYS, source: "queue" } });
          said.textContent = t("common.saved");
          list.refill();
        } catch (error) {
          said.textContent = problemText(error);
        }
      },
    },
      h("p", {}, t("schedules.explain")),
      h("p", { class: "field" }, h("label", { for: "schedule-time" }, t("schedules.time")), time),
      h("button", { type: "submit" }, t("schedules.add")),
      said,
    ),
  );
  return list;
}

// A time to move a message to, as the phone's local time.
function localInput(iso) {
  const at = new Date(iso);
  return new Date(at.getTime() - at.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function upcomingCard(child) {
  return listCard(t("upcoming.title"), async () => (await api(`/children/${child.id}/upcoming`)).items, ({ message, due_at }, fill) => {
    const when = h("input", { type: "datetime-local", "aria-label": t("upcoming.new_time"), value: localInput(due_at || new Date().toISOString()) });
    return h("li", {}, `${message.title || t(`kind.${message.kind}`)} · ${due_at ? formatTime(due_at) : t("upcoming.waiting")} `,
      h("span", { class: "row" },
        when,
        h("button", {
          onclick: async () => {
            await api(`/messages/${message.id}`, { method: "PATCH", body: { deliver_at: new Date(when.value).toISOString() } });
            fill();
            refresh();
          },
        }, t("upcoming.move")),
        h("button", {
          onclick: async () => {
            await api(`/messages/${message.id}`, { method: "DELETE" });
            fill();
            refresh();
          },
        }, t("upcoming.cancel")),
      ),
    );
  });
}

// The policy changed since this guardian agreed: the page waits for them to agree again, for
// the child the server named (any of theirs: the messages list shows them all).
function consentAgain(event) {
  const named = event.detail?.childId;
  const child = state.children.find((each) => each.id === named) || state.child;
  if (!child || document.getElementById("consent")) return;
  aside(formCard(async (values) => {
    await api(`/children/${child.id}/consent`, { method: "POST", body: { guardian_consent: values.consent === "on" } });
    home(state.child || child);
  }, null,
    h("h2", {}, t("consent.again", { name: child.display_name })),
    consent(),
    h("button", { class: "big", type: "submit" }, t("consent.agree_button")),
  ));
}

addEventListener("voicebox:signed-out", () => signOut());
document.addEventListener("visibilitychange", () => !document.hidden && state.me && refresh());
addEventListener("voicebox:consent-required", consentAgain);
registerWorker();
if (session.token()) start().catch(() => authScreen());
else authScreen();
