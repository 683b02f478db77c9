// What every screen of the child's face shares: the page's root, which screen is showing, and
// the top bar (the language switch, and what a screen adds to it).

import { h } from "../shared/dom.js";
import { switchLanguage, t } from "../shared/i18n.js";

export const app = document.getElementById("app");
// "home", "stories", "help" or "pair": what arrives while another screen shows waits for home.
export const view = { screen: "home" };

export function top(...extra) {
  return h("header", { class: "top" },
    ...extra,
    h("button", { class: "link", onclick: switchLanguage, lang: t("lang.other_code") }, t("lang.other")),
  );
}
