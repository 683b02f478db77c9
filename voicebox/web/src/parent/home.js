// A child's page: the tabs of the parent's children, and the child's cards.

import { h, mount } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { addChildScreen } from "./add_child.js";
import { composeCard } from "./compose.js";
import { devicesCard } from "./devices.js";
import { guardiansCard } from "./guardians.js";
import { joinScreen } from "./join.js";
import { messagesCard, refresh } from "./messages.js";
import { nudgeCard } from "./nudge.js";
import { pairingCard } from "./pairing.js";
import { quietHoursCard } from "./quiet_hours.js";
import { schedulesCard } from "./schedules.js";
import { app, header, state } from "./shell.js";
import { upcomingCard } from "./upcoming.js";

// A child the parent now looks after (added, or joined as a second guardian).
function welcome(child) {
  state.children.push(child);
  home(child);
}

const back = () => home(state.child);

export function home(child) {
  state.child = child;
  const tabs = h("nav", { "aria-label": t("children.tabs"), class: "tabs" },
    state.children.map((each) =>
      h("button", { class: each === child ? "tab current" : "tab", "aria-current": each === child ? "page" : null, onclick: () => home(each) }, each.display_name),
    ),
    h("button", { class: "tab", onclick: () => addChildScreen(welcome, back) }, t("children.add")),
    h("button", { class: "tab", onclick: () => joinScreen(welcome, back) }, t("join.button")),
  );
  if (!child) {
    mount(app, header(), h("main", {}, tabs, h("p", { class: "card" }, t("children.none"))));
    return;
  }
  mount(app, header(), h("main", {},
    tabs,
    h("h2", {}, child.display_name),
    nudgeCard(child),
    pairingCard(child),
    composeCard(child, refresh),
    messagesCard(),
    devicesCard(child),
    guardiansCard(child),
    schedulesCard(child),
    upcomingCard(child),
    quietHoursCard(child),
  ));
  refresh();
}
