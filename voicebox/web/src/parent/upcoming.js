// What has not reached the child yet, each to move to another time or to cancel.

import { api } from "../shared/api.js";
import { h } from "../shared/dom.js";
import { formatTime, t } from "../shared/i18n.js";
import { refresh } from "./messages.js";
import { listCard } from "./shell.js";

// A time to move a message to, as the phone's local time.
function localInput(iso) {
  const at = new Date(iso);
  return new Date(at.getTime() - at.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

export function upcomingCard(child) {
  return listCard(t("upcoming.title"), async () => (await api(`/children/${child.id}/upcoming`)).items, ({ message, due_at }, act) => {
    const when = h("input", { type: "datetime-local", "aria-label": t("upcoming.new_time"), value: localInput(due_at || new Date().toISOString()) });
    const change = (work) => act(async () => {
      await work();
      refresh();
    });
    return h("li", {}, `${message.title || t(`kind.${message.kind}`)} · ${due_at ? formatTime(due_at) : t("upcoming.waiting")} `,
      h("span", { class: "row" },
        when,
        h("button", {
          onclick: () => change(() => api(`/messages/${message.id}`, { method: "PATCH", body: { deliver_at: new Date(when.value).toISOString() } })),
        }, t("upcoming.move")),
        h("button", { onclick: () => change(() => api(`/messages/${message.id}`, { method: "DELETE" })) }, t("upcoming.cancel")),
      ),
    );
  });
}
