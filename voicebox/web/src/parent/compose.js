// The new recording card: a message or a story (its details chosen before recording, since a
// story may be longer), urgent or not, recorded and sent by the shared recording panel.

import { api } from "../shared/api.js";
import { field, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { recordingPanel } from "../shared/recording.js";

const STORY_CATEGORIES = ["bedtime", "fairy_tale", "folk_tale", "science", "history", "poetry", "family", "other"];
const MESSAGE_SECONDS = 600;
const STORY_SECONDS = 3600;

export function composeCard(child, onSent) {
  return h("section", { class: "card", "aria-label": t("rec.new") },
    h("h3", {}, t("rec.new")),
    sendDetails(),
    recordingPanel({
      owner: `parent:${child.id}`,
      startLabel: t("rec.record"),
      pausable: true,
      limitMs: () => (storyChosen() ? STORY_SECONDS : MESSAGE_SECONDS) * 1000,
      details: () => ({ child: child.id, ...sendChoices() }),
      send: sendMessage,
      onSent,
    }),
  );
}

function storyChosen() {
  return document.getElementById("kind")?.value === "story";
}

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

// The recording panel keeps the draft and says when a send fails; it retries with the same key.
function sendMessage(uploadId, draft) {
  const { child, ...choices } = draft.details;
  return api("/messages", { method: "POST", body: { upload_id: uploadId, to: child, ...choices }, headers: { "Idempotency-Key": draft.id } });
}
