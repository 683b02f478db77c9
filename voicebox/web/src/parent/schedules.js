// The child's bedtime schedules: when the family's queued stories arrive, paused or not.

import { api } from "../shared/api.js";
import { h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { attempt, listCard } from "./shell.js";

const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];

function when(schedule) {
  const days = schedule.weekdays.length === 7 ? t("schedules.every_day") : schedule.weekdays.map((d) => t(`weekday.${d}`)).join(" ");
  return `${schedule.time} · ${days} · ${t(`schedules.source.${schedule.source}`)} `;
}

export function schedulesCard(child) {
  const said = h("p", { role: "status" });
  const time = h("input", { type: "time", id: "schedule-time", value: "20:00", required: true });
  const list = listCard(t("schedules.title"), async () => (await api(`/children/${child.id}/schedules`)).items, (schedule, act) =>
    h("li", {}, when(schedule),
      h("button", {
        onclick: () => act(() => api(`/schedules/${schedule.id}`, { method: "PATCH", body: { paused: !schedule.paused } })),
      }, schedule.paused ? t("schedules.resume") : t("schedules.pause")),
      " ",
      h("button", { onclick: () => act(() => api(`/schedules/${schedule.id}`, { method: "DELETE" })) }, t("schedules.delete")),
    ),
    h("form", {
      onsubmit: (event) => {
        event.preventDefault();
        attempt(said, async () => {
          await api(`/children/${child.id}/schedules`, { method: "POST", body: { time: time.value, weekdays: WEEKDAYS, source: "queue" } });
          said.textContent = t("common.saved");
          list.refill();
        });
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
