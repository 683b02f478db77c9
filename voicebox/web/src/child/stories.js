// The child's stories: the family's and those of the boxes they were given; taking one puts
// it in their messages now.

import { api } from "../shared/api.js";
import { clock, h, mount } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { loadInbox } from "./inbox.js";
import { app, top, view } from "./shell.js";

const STORY_ICONS = { bedtime: "🌙", fairy_tale: "🧚", folk_tale: "🐉", science: "🔭", history: "🏯", poetry: "📜", family: "🏠", other: "📖" };

export async function storiesScreen(back) {
  view.screen = "stories";
  const list = h("ul", { "aria-label": t("stories.title"), class: "cards" }, h("li", {}, "⏳"));
  const said = h("p", { role: "alert" });
  mount(app, top(h("button", { class: "link", onclick: back }, "⬅ ", t("common.back"))), h("main", {}, h("h1", {}, t("stories.title")), list, said));
  let items;
  try {
    ({ items } = await api("/library?limit=50"));
  } catch {
    mount(list, h("li", {}, t("error.generic")));
    return;
  }
  const take = async (story) => {
    try {
      if (!story.message_id) await api(`/library/stories/${story.id}/take`, { method: "POST" });
    } catch {
      said.textContent = t("error.generic");
      return;
    }
    await loadInbox();
    back();
  };
  mount(list, items.length ? items.map((story) =>
    h("li", { class: "card" },
      h("p", { class: "who" }, h("span", { class: "avatar", "aria-hidden": "true" }, STORY_ICONS[story.category] || "📖"), story.title || t("kind.story"), " · ", clock(story.duration_ms || 0)),
      h("button", { class: "big", onclick: () => take(story) }, h("span", { "aria-hidden": "true" }, "📥 "), t("stories.take")),
    )) : h("li", {}, t("stories.none")));
}
