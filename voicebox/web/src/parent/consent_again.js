// The policy changed since this guardian agreed: the page waits for them to agree again, for
// the child the server named (any of theirs: the messages list shows them all).

import { api } from "../shared/api.js";
import { h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { aside, consentFields, formCard, state } from "./shell.js";

export function consentAgainScreen(childId, agreed) {
  const child = state.children.find((each) => each.id === childId) || state.child;
  if (!child || document.getElementById("consent")) return;
  aside(formCard(async (values) => {
    await api(`/children/${child.id}/consent`, { method: "POST", body: { guardian_consent: values.consent === "on" } });
    agreed(child);
  }, null,
    h("h2", {}, t("consent.again", { name: child.display_name })),
    consentFields(),
    h("button", { class: "big", type: "submit" }, t("consent.agree_button")),
  ), () => agreed(child));
}
