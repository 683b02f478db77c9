// The child's guardians, and a code that invites another one.

import { api } from "../shared/api.js";
import { h, mount } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { attempt, listCard } from "./shell.js";

const RELATIONS = ["parent", "grandparent", "other"];

export function guardiansCard(child) {
  const invite = h("div", {});
  const said = h("p", { role: "alert" });
  const relation = h("select", { id: "relation" }, RELATIONS.map((r) => h("option", { value: r }, t(`relation.${r}`))));
  const ask = h("div", {},
    h("p", { class: "field" }, h("label", { for: "relation" }, t("guardians.relation")), relation),
    h("button", {
      onclick: () => attempt(said, async () => {
        const { code } = await api(`/children/${child.id}/guardian-invites`, { method: "POST", body: { relation: relation.value } });
        mount(invite, h("p", {}, t("guardians.invite_code")), h("output", { class: "code", "aria-label": t("guardians.code") }, code));
      }),
    }, t("guardians.invite")),
    invite,
    said,
  );
  return listCard(t("guardians.title"), async () => (await api(`/children/${child.id}/guardians`)).items, (guardian) =>
    h("li", {}, guardian.display_name, " · ", t(`relation.${guardian.relation}`)), ask);
}
