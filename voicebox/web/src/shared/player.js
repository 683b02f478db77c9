// One player for a page: plays a message from its short-lived link (or, once played, from the
// phone's cache, network or not), reports where the listener stopped, and says what it is doing.

import { api } from "./api.js";

const SPEED = "voicebox.speed";
const REPORT_EVERY_MS = 10000;

// Ogg Opus where the browser plays it (the small one by default), else AAC (Safari).
export function playableFormat(message) {
  const formats = (message.renditions || []).map((rendition) => rendition.format);
  const probe = document.createElement("audio");
  const opus = probe.canPlayType('audio/ogg; codecs="opus"') !== "";
  return (opus ? ["opus_low", "opus", "aac"] : ["aac", "opus_low", "opus"]).find((f) => formats.includes(f));
}

export class Player {
  constructor(onChange) {
    this.onChange = onChange;
    this.audio = new Audio();
    this.audio.preload = "auto";
    this.message = null;
    this.reported = 0;
    for (const name of ["play", "pause", "timeupdate", "ended", "loadedmetadata"]) {
      this.audio.addEventListener(name, () => this.changed(name));
    }
    this.audio.addEventListener("ratechange", () => localStorage.setItem(SPEED, String(this.audio.playbackRate)));
  }

  get speed() {
    return Number(localStorage.getItem(SPEED)) || 1;
  }

  setSpeed(speed) {
    this.audio.playbackRate = speed;
    localStorage.setItem(SPEED, String(speed));
  }

  get playing() {
    return !this.audio.paused && !this.audio.ended;
  }

  positionMs() {
    return Math.round(this.audio.currentTime * 1000);
  }

  async source(message) {
    const format = playableFormat(message);
    const offline = `/offline-audio/${message.id}/${format}`;
    if (navigator.serviceWorker?.controller && (await caches.match(offline))) return offline;
    const { url } = await api(`/messages/${message.id}/audio-link?format=${format}`);
    // Through the service worker, which keeps a copy for the next time (and no network).
    return navigator.serviceWorker?.controller ? `${offline}?from=${encodeURIComponent(url)}` : url;
  }

  async play(message, { report = true, fromMs } = {}) {
    if (this.message?.id !== message.id) {
      this.finishReport();
      this.message = message;
      this.report = report;
      this.audio.src = await this.source(message);
      const start = fromMs ?? (message.position_ms && !message.played_at ? message.position_ms : 0);
      this.audio.currentTime = start / 1000;
    }
    this.audio.playbackRate = this.speed;
    await this.audio.play();
  }

  pause() {
    this.audio.pause();
  }

  seek(message, ms) {
    if (this.message?.id === message.id) this.audio.currentTime = ms / 1000;
    else message.position_ms = ms;
    this.changed("seek");
  }

  changed(name) {
    const message = this.message;
    if (message && this.report) {
      const now = performance.now();
      if (name === "ended") this.sendPlay(message, message.duration_ms, true);
      else if (name === "pause" || (name === "timeupdate" && now - this.reported > REPORT_EVERY_MS)) {
        this.reported = now;
        this.sendPlay(message, this.positionMs(), false);
      }
    }
    this.onChange?.(name, message);
  }

  finishReport() {
    if (this.message && this.report && this.playing) this.sendPlay(this.message, this.positionMs(), false);
  }

  sendPlay(message, positionMs, completed) {
    const position_ms = Math.min(positionMs, message.duration_ms || positionMs);
    message.position_ms = position_ms;
    if (completed) message.played_at ||= new Date().toISOString();
    api(`/messages/${message.id}/plays`, { method: "POST", body: { position_ms, completed } }).catch(() => {});
  }
}
