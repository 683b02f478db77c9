// Tap to record (never hold): pause and resume, a level meter, the time so far and the time
// left, stopped at the limit. Every second of audio is written to the draft as it comes.

import { addChunk, newDraftId, saveDraft } from "./drafts.js";

const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];

export class Recorder {
  constructor({ owner, limitMs, details, onTick, onLevel, onLimit }) {
    Object.assign(this, { owner, limitMs, details, onTick, onLevel, onLimit });
    this.id = newDraftId();
    this.created = Date.now();
    this.ms = 0;
    this.writes = Promise.resolve();
  }

  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    const mimeType = TYPES.find((type) => MediaRecorder.isTypeSupported(type)) || "";
    this.media = new MediaRecorder(this.stream, { mimeType, audioBitsPerSecond: 32000 });
    this.mime = this.media.mimeType || mimeType;
    // Each second's audio, and how long the draft is so far, in case the page ends here.
    this.media.ondataavailable = (event) => {
      if (event.data.size) this.writes = this.writes.then(() => addChunk(this.id, event.data)).then(() => this.save(false));
    };
    await this.save(false);
    this.media.start(1000);
    this.meter();
    this.resume(true);
  }

  save(sealed) {
    return saveDraft({ id: this.id, created: this.created, owner: this.owner, mime: this.mime, ms: this.elapsed(), sealed, details: this.details });
  }

  elapsed() {
    return this.ms + (this.media?.state === "recording" ? performance.now() - this.since : 0);
  }

  meter() {
    this.audio = new AudioContext();
    const analyser = this.audio.createAnalyser();
    analyser.fftSize = 512;
    this.audio.createMediaStreamSource(this.stream).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    const draw = () => {
      if (!this.audio) return;
      analyser.getByteTimeDomainData(samples);
      let peak = 0;
      for (const sample of samples) peak = Math.max(peak, Math.abs(sample - 128));
      this.onLevel?.(Math.min(1, peak / 100));
      this.frame = requestAnimationFrame(draw);
    };
    draw();
  }

  get paused() {
    return this.media?.state === "paused";
  }

  pause() {
    if (this.media.state !== "recording") return;
    this.media.pause();
    this.ms += performance.now() - this.since;
    clearInterval(this.timer);
    this.save(false);
    this.onTick?.(this.ms);
  }

  resume(first) {
    if (!first) this.media.resume();
    this.since = performance.now();
    this.timer = setInterval(() => {
      const ms = this.elapsed();
      this.onTick?.(ms);
      if (ms >= this.limitMs) this.onLimit?.();
    }, 250);
  }

  // The finished draft: every chunk written and the draft sealed (ready to send).
  async stop() {
    if (this.media.state === "recording") this.ms += performance.now() - this.since;
    clearInterval(this.timer);
    cancelAnimationFrame(this.frame);
    const stopped = new Promise((resolve) => (this.media.onstop = resolve));
    this.media.stop();
    await stopped;
    this.stream.getTracks().forEach((track) => track.stop());
    this.audio?.close();
    this.audio = null;
    await this.writes;
    await this.save(true);
    return { id: this.id, created: this.created, owner: this.owner, mime: this.mime, ms: this.ms, sealed: true, details: this.details };
  }
}
