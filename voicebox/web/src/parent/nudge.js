// The watchdog's nudge: the child has heard nothing from home for a while. It shows only when
// there is one; a nudge that cannot be read is no reason to trouble the page.

import { api } from "../shared/api.js";
import { h, mount } from "../shared/dom.js";
import { lang, t } from "../shared/i18n.js";

export function nudgeCard(child) {
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
