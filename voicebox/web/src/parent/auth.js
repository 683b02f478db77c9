// Sign in, or sign up: one form at a time, so each field's name is unique on the page.

import { api, session } from "../shared/api.js";
import { field, h, mount } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { app, formCard, header } from "./shell.js";

export function authScreen(signedIn, mode = "sign_in") {
  const signUp = mode === "sign_up";
  const form = formCard(async (values) => {
    const answer = signUp
      ? await api("/auth/register", { method: "POST", body: { ...values, role: "parent" } })
      : await api("/auth/login", { method: "POST", body: values });
    session.save(answer.token);
    await signedIn();
  }, null,
    h("h2", {}, signUp ? t("auth.sign_up") : t("auth.sign_in")),
    field(t("auth.phone"), { name: "phone", type: "tel", autocomplete: "tel", required: true }),
    field(t("auth.password"), { name: "password", type: "password", required: true, minlength: signUp ? 8 : null, autocomplete: signUp ? "new-password" : "current-password" }),
    signUp && field(t("auth.your_name"), { name: "display_name", required: true, maxlength: 40, autocomplete: "name" }),
    h("button", { class: "big", type: "submit" }, signUp ? t("auth.sign_up") : t("auth.sign_in")),
  );
  mount(app, header(), h("main", {}, form,
    h("button", { class: "link", onclick: () => authScreen(signedIn, signUp ? "sign_in" : "sign_up") },
      signUp ? t("auth.have_account") : t("auth.new_here")),
  ));
}
