// The recording panel both faces share: record (tap, never hold), pause, stop, listen back,
// discard, send with progress. A draft left by a call or a closed tab comes back here, and one
// that was being sent goes on sending by itself.

import { clock, h, mount } from "./dom.js";
import { deleteDraft, draftAudio, listDrafts, saveDraft } from "./drafts.js";
import { t } from "./i18n.js";
import { Recorder } from "./recorder.js";
import { upload } from "./upload.js";

const WARN_BEFORE_MS = 60000;

// options: {owner, limitMs(), startLabel, pausable, details(): the sender's choices on screen
// (kept with the draft), send(uploadId, draft), onSent}
export function recordingPanel(options) {
  const root = h("section", { class: "recording", "aria-label": t("rec.region") });
  let recorder = null;
  let draft = null;
  let listening = null;

  const idle = () => mount(root, h("button", { class: "big record", onclick: start }, options.startLabel));

  async function start() {
    recorder = new Recorder({
      owner: options.owner,
      limitMs: options.limitMs(),
      details: options.details?.() ?? {},
      onTick: tick,
      onLevel: (level) => (meter.value = level),
      onLimit: stop,
    });
    try {
      await recorder.start();
    } catch {
      recorder = null;
      mount(root, h("p", { role: "alert" }, t("rec.no_microphone")), h("button", { class: "big", onclick: start }, options.startLabel));
      return;
    }
    recording();
  }

  const meter = h("meter", { "aria-label": t("rec.level"), min: 0, max: 1, value: 0 });
  const elapsed = h("span", { class: "elapsed" }, "0:00");
  const left = h("span", { class: "left" });
  const warning = h("p", { role: "status", class: "warning" });

  function tick(ms) {
    elapsed.textContent = clock(ms);
    const remaining = recorder.limitMs - ms;
    left.textContent = t("rec.left", { time: clock(remaining) });
    warning.textContent = remaining <= WARN_BEFORE_MS ? t("rec.almost_full") : "";
  }

  function recording() {
    const pause = options.pausable
      ? h("button", {
          class: "big",
          onclick: (event) => {
            if (recorder.paused) recorder.resume();
            else recorder.pause();
            event.target.textContent = recorder.paused ? t("rec.resume") : t("rec.pause");
          },
        }, t("rec.pause"))
      : null;
    tick(0);
    mount(
      root,
      h("p", { class: "clock" }, h("span", { class: "dot", "aria-hidden": "true" }), elapsed, " ", left),
      meter,
      warning,
      h("div", { class: "row" }, pause, h("button", { class: "big stop", onclick: stop }, t("rec.stop"))),
    );
  }

  async function stop() {
    if (!recorder) return;
    const finished = recorder;
    recorder = null;
    draft = await finished.stop();
    recorded();
  }

  function recorded(note) {
    const progress = h("progress", { "aria-label": t("rec.upload_progress"), max: 1, value: 0, hidden: true });
    const said = h("p", { role: "status" }, note || "");
    const send = h("button", { class: "big send", onclick: () => sending(progress, said, send) }, t("rec.send"));
    mount(
      root,
      h("p", {}, t("rec.length", { time: clock(draft.ms) })),
      h("div", { class: "row" },
        h("button", { class: "big", onclick: playBack }, t("rec.play_back")),
        h("button", { class: "big", onclick: discard }, t("rec.discard")),
      ),
      send,
      progress,
      said,
    );
    return { progress, said, send };
  }

  async function playBack() {
    if (listening) {
      listening.pause();
      listening = null;
      return;
    }
    listening = new Audio(URL.createObjectURL(await draftAudio(draft)));
    listening.onended = () => (listening = null);
    listening.play();
  }

  async function discard() {
    listening?.pause();
    listening = null;
    await deleteDraft(draft.id);
    draft = null;
    idle();
  }

  // `chosen`: the choices on screen now (on Send); a draft sending again keeps those it had.
  async function sending(progress, said, send, chosen = true) {
    listening?.pause();
    if (chosen) draft = { ...draft, details: { ...draft.details, ...(options.details?.() ?? {}) } };
    draft = { ...draft, sending: true };
    await saveDraft(draft);
    send.disabled = true;
    progress.hidden = false;
    said.textContent = t("rec.sending");
    try {
      const uploadId = await upload(await draftAudio(draft), draft.id, (done) => (progress.value = done));
      await options.send(uploadId, draft);
      await deleteDraft(draft.id);
      draft = null;
      idle();
      options.onSent?.();
    } catch (error) {
      said.textContent = error.status === 413 || error.status === 422 ? `${t("rec.refused")} ${error.message}` : t("rec.not_sent");
      send.disabled = false;
    }
  }

  // A draft from before (the newest): ready to send, or sending again by itself.
  listDrafts(options.owner).then((drafts) => {
    if (!drafts.length || recorder) return;
    draft = drafts.sort((a, b) => b.created - a.created)[0];
    const { progress, said, send } = recorded(t("rec.kept"));
    if (draft.sending) sending(progress, said, send, false);
  });
  idle();
  return root;
}
