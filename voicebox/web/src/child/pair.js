// Pairing: the six digits a guardian reads aloud, on a big number pad.

import { api, session } from "../shared/api.js";
import { h, mount } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { app, top, view } from "./shell.js";

export function pairScreen(paired, note) {
  view.screen = "pair";
  const said = h("p", { role: "alert" }, note || "");
  const input = h("input", { id: "code", name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6, pattern: "[0-9]{6}", required: true, class: "code" });
  const press = (digit) => () => {
    if (digit === "⌫") input.value = input.value.slice(0, -1);
    else if (input.value.length < 6) input.value += digit;
  };
  const form = h("form", {
    class: "pair",
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        const { token } = await api("/devices/pair", { method: "POST", body: { code: input.value, device_name: t("child.device_name") } });
        session.save(token);
        paired();
      } catch (error) {
        said.textContent = error.status === 404 || error.status === 422 ? t("pair.wrong") : t("error.generic");
      }
    },
  },
    h("p", { class: "field" }, h("label", { for: "code" }, t("pair.code")), input),
    h("div", { class: "pad" },
      ["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0"].map((digit) =>
        h("button", { type: "button", onclick: press(digit), "aria-label": digit === "⌫" ? t("pair.delete") : null }, digit),
      ),
    ),
    h("button", { class: "big go", type: "submit" }, t("pair.pair")),
    said,
  );
  mount(app, top(), h("main", {}, h("h1", {}, t("child.pair_title")), form));
}
