// Pairing a child's phone: a six-digit code the parent reads aloud, with the time it has left.

import { api } from "../shared/api.js";
import { clock, h, mount } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { attempt } from "./shell.js";

export function pairingCard(child) {
  const box = h("div", { class: "pairing" });
  const said = h("p", { role: "alert" });
  let timer;
  const show = () => attempt(said, async () => {
    clearInterval(timer);
    const { code, expires_at } = await api(`/children/${child.id}/pairing-code`, { method: "POST" });
    const countdown = h("p", { role: "timer" });
    const until = new Date(expires_at).getTime();
    const tick = () => {
      const left = until - Date.now();
      countdown.textContent = left > 0 ? t("pair.expires_in", { time: clock(left) }) : t("pair.expired");
      if (left <= 0) clearInterval(timer);
    };
    tick();
    timer = setInterval(tick, 1000);
    mount(box,
      h("output", { class: "code", "aria-label": t("pair.code") }, code),
      h("p", {}, t("pair.read_aloud")),
      countdown,
      h("button", { class: "big", onclick: show }, t("pair.again")),
    );
  });
  mount(box, h("button", { class: "big", onclick: show }, t("pair.button")));
  return h("section", { class: "card" }, h("h3", {}, t("pair.title")), box, said);
}
