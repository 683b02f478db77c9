// Adding a child: their name and birth year, and the guardian's agreement to the policy.

import { api } from "../shared/api.js";
import { field, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { aside, consentFields, formCard } from "./shell.js";

export function addChildScreen(added, back) {
  const year = new Date().getFullYear();
  aside(formCard(async (values) => {
    const body = { display_name: values.display_name, birth_year: Number(values.birth_year), guardian_consent: values.consent === "on" };
    added(await api("/children", { method: "POST", body }));
  }, null,
    h("h2", {}, t("children.add")),
    field(t("children.name"), { name: "display_name", required: true, maxlength: 40 }),
    field(t("children.birth_year"), { name: "birth_year", type: "number", required: true, min: year - 18, max: year }),
    consentFields(),
    h("button", { class: "big", type: "submit" }, t("children.add_button")),
  ), back);
}
