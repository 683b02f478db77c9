// The child's paired phones, each with the way to unpair it.

import { api } from "../shared/api.js";
import { h } from "../shared/dom.js";
import { formatTime, t } from "../shared/i18n.js";
import { listCard } from "./shell.js";

export function devicesCard(child) {
  return listCard(t("devices.title"), async () => (await api(`/children/${child.id}/devices`)).items, (device, act) =>
    h("li", {}, `${device.name} · ${formatTime(device.paired_at)} `,
      h("button", {
        onclick: () => {
          if (!confirm(t("devices.revoke_confirm", { name: device.name }))) return;
          act(() => api(`/children/${child.id}/devices/${device.id}`, { method: "DELETE" }));
        },
      }, t("devices.revoke")),
    ),
  );
}
