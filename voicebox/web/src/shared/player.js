// One player for a page: plays a message from its short-lived link (or, once played, from the
// phone's cache, network or not), reports where the listener stopped, and says what it is doing.

import { api } from "./api.js";

const SPEED = "voicebox.speed";
// What an Ogg Opus file is handed to the player as while it downloads (ogg-stream.js).
const STREAM_TYPE = 'audio/webm; codecs="opus"';
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

  // Where to play `message` from: the phone's copy (any part, no network), or the short-lived
  // link, through the service worker where there is one, which keeps a copy as it passes.
  async source(message, format) {
    const offline = `/offline-audio/${message.id}/${format}`;
    const worker = navigator.serviceWorker?.controller;
    if (worker && (await caches.match(offline))) return { url: offline, kept: true };
    const { url } = await api(`/messages/${message.id}/audio-link?format=${format}`);
    return { url: worker ? `${offline}?from=${encodeURIComponent(url)}` : url, link: url, kept: false };
  }

  async play(message) {
    if (this.message?.id !== message.id) {
      this.finishReport();
      this.streaming?.abort();
      this.message = message;
      // Where the listener dragged the slider to, else where they stopped last (unless heard).
      const start = message.seekTo ?? (message.played_at ? 0 : message.position_ms || 0);
      delete message.seekTo;
      const format = playableFormat(message);
      // An Opus file plays as it downloads (from a position, once the download gets there); a
      // file kept on the phone is read from anywhere.
      const streamed = format.startsWith("opus") && window.MediaSource?.isTypeSupported(STREAM_TYPE);
      const [from, streamer] = await Promise.all([
        this.source(message, format),
        streamed ? import("./ogg-stream.js") : null,
      ]);
      if (streamer && !from.kept) {
        this.streaming = new AbortController();
        streamer.stream(this.audio, from.url, message.duration_ms, STREAM_TYPE, this.streaming.signal).catch(() => {});
      } else {
        // From a position, straight from the link, which can be read from anywhere.
        this.audio.src = from.kept || !start ? from.url : from.link;
      }
      this.audio.currentTime = start / 1000;
      this.reported = performance.now();
    }
    this.audio.playbackRate = this.speed;
    await this.audio.play();
  }

  pause() {
    this.audio.pause();
  }

  seek(message, ms) {
    if (this.message?.id === message.id) this.audio.currentTime = ms / 1000;
    else message.seekTo = ms;
    this.changed("seek");
  }

  changed(name) {
    const message = this.message;
    if (message) {
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
    if (this.message && this.playing) this.sendPlay(this.message, this.positionMs(), false);
  }

  sendPlay(message, positionMs, completed) {
    const position_ms = Math.min(positionMs, message.duration_ms || positionMs);
    message.position_ms = position_ms;
    if (completed) message.played_at ||= new Date().toISOString();
    api(`/messages/${message.id}/plays`, { method: "POST", body: { position_ms, completed } }).catch(() => {});
  }
}
