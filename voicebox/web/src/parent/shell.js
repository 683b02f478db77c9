// What every parent screen shares: the page's root and state, the header, the way back, and
// how a form or a card says what went wrong (every call to the API is answered on the page).

import { Problem, session } from "../shared/api.js";
import { formValues, h, mount } from "../shared/dom.js";
import { switchLanguage, t } from "../shared/i18n.js";

export const app = document.getElementById("app");
export const state = { me: null, children: [], child: null, messages: [] };

export function header() {
  return h("header", { class: "top" },
    h("h1", {}, t("app.name")),
    h("button", { class: "link", onclick: switchLanguage, lang: t("lang.other_code") }, t("lang.other")),
    state.me && h("button", { class: "link", onclick: signOut }, t("auth.sign_out")),
  );
}

function signOut() {
  session.clear();
  dispatchEvent(new Event("voicebox:signed-out"));
}

// What went wrong, in the page's language: the fields the server named, or its detail. A
// network that failed says only that it did.
export function problemText(error) {
  if (!(error instanceof Problem)) return t("error.generic");
  const fields = error.body?.errors ? Object.values(error.body.errors).flat().join(" ") : "";
  return `${error.status === 401 ? t("auth.wrong") : t("error.generic")} ${fields || error.message || ""}`.trim();
}

// Run `work`; if it fails, `said` says why (and the rest of the page goes on).
export async function attempt(said, work) {
  try {
    said.textContent = "";
    await work();
  } catch (error) {
    said.textContent = problemText(error);
  }
}

// A form that hands its values to `submit`; what went wrong is said under it (`say` words it).
export function formCard(submit, say, ...children) {
  const said = h("p", { role: "alert" });
  const form = h("form", {
    class: "card",
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        await submit(formValues(form));
      } catch (error) {
        said.textContent = (say || problemText)(error);
      }
    },
  }, ...children, said);
  return form;
}

// A screen of its own for `form`, with the way back.
export function aside(form, back) {
  mount(app, header(), h("main", {}, form, h("button", { class: "link", onclick: back }, t("common.back"))));
}

// A card listing what `load` finds, each shown by `item(each, act)`: `act(work)` runs an
// action of the item's, says what went wrong, and lists again (what is true now, either way).
export function listCard(title, load, item, more) {
  const list = h("ul", { "aria-label": title });
  const said = h("p", { role: "alert" });
  const card = h("section", { class: "card" }, h("h3", {}, title), list, said, more);
  const fill = async () => {
    try {
      const items = await load();
      mount(list, items.length ? items.map((each) => item(each, act)) : h("li", {}, t("common.none")));
    } catch (error) {
      said.textContent = problemText(error);
    }
  };
  const act = async (work) => {
    await attempt(said, work);
    await fill();
  };
  fill();
  card.refill = fill;
  return card;
}

// The privacy policy and the guardian's agreement to it (the server records its version).
export function consentFields() {
  return [
    h("section", { class: "policy", tabindex: "0", "aria-label": t("consent.policy_title") },
      h("h3", {}, t("consent.policy_title")),
      [1, 2, 3, 4].map((n) => h("p", {}, t(`consent.policy_${n}`))),
    ),
    h("p", { class: "check" }, h("input", { type: "checkbox", id: "consent", name: "consent", required: true }), h("label", { for: "consent" }, t("consent.agree"))),
  ];
}
