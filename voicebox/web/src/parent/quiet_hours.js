// The child's quiet hours and time zone: plain messages wait for the morning.

import { api } from "../shared/api.js";
import { field, formValues, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { attempt } from "./shell.js";

export function quietHoursCard(child) {
  const said = h("p", { role: "status" });
  const quiet = child.quiet_hours || { start: "21:30", end: "07:00" };
  const form = h("form", {
    onsubmit: (event) => {
      event.preventDefault();
      const values = formValues(form);
      attempt(said, async () => {
        const changed = await api(`/children/${child.id}`, {
          method: "PATCH",
          body: { timezone: values.timezone, quiet_hours: { start: values.start, end: values.end } },
        });
        Object.assign(child, changed);
        said.textContent = t("common.saved");
      });
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
