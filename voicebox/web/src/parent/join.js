// A second guardian joins with the code the first one was given.

import { api } from "../shared/api.js";
import { field, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { aside, consentFields, formCard, problemText } from "./shell.js";

export function joinScreen(joined, back) {
  aside(formCard(async (values) => {
    joined(await api("/guardian-invites/accept", { method: "POST", body: { code: values.code.trim(), guardian_consent: values.consent === "on" } }));
  }, (error) => (error.status === 404 || error.status === 422 ? t("join.wrong") : problemText(error)),
    h("h2", {}, t("join.button")),
    field(t("guardians.code"), { name: "code", required: true, autocomplete: "off", maxlength: 32 }),
    consentFields(),
    h("button", { class: "big", type: "submit" }, t("join.submit")),
  ), back);
}
