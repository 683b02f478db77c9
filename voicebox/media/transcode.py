"""Turn one accepted recording into the renditions phones play, decoding it only once.

Pass one decodes to mono 48 kHz float samples in a scratch file, bounded in length and time,
while FFmpeg's ``ebur128`` measures loudness. Pass two trims leading and trailing silence,
applies one gain towards the speech target with a peak limiter, and feeds every encoder from
the same samples. Measuring first and applying one gain is far cheaper than ``loudnorm``, which
resamples to 192 kHz internally.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

from voicebox.media.envelope import BLOCK_SECONDS, block_peaks, speech_span, waveform
from voicebox.media.errors import Reason, Rejected
from voicebox.media.filters import AudioFilter
from voicebox.media.loudness import LoudnessMeter
from voicebox.media.probe import audio_stream, open_input

RATE = 48_000
BLOCK = int(RATE * BLOCK_SECONDS)
TIME_BASE = Fraction(1, RATE)
CHUNK = BLOCK * 100  # one second of samples per step of pass two
TARGET_LUFS = -16.0
# A whisper into a cheap phone may be 30 dB too quiet; never amplify beyond that (it would be
# all hiss), and never cut by more than 20 dB.
MAX_GAIN_DB = 30.0
MIN_GAIN_DB = -20.0
# Measured below this there is no speech to hear, only hiss.
SILENT_BELOW_LUFS = -60.0
LIMITER = "limit=0.89:attack=5:release=50:level=disabled:latency=1"  # peaks at about -1 dBFS


@dataclass(frozen=True)
class Spec:
    format: str
    codec: str
    muxer: str
    extension: str
    bitrate: int
    options: dict[str, str] = field(default_factory=dict)


RENDITIONS = (
    Spec("opus", "libopus", "ogg", "ogg", 24_000, {"application": "voip", "vbr": "constrained"}),
    Spec("opus_low", "libopus", "ogg", "ogg", 12_000, {"application": "voip", "vbr": "constrained"}),
    # The "fast" coder costs a sixth of the default two-loop search; at 48 kb/s mono speech the
    # difference is not audible, and the saving is most of what separates 20 from 30 s/s.
    Spec("aac", "aac", "ipod", "m4a", 48_000, {"aac_coder": "fast"}),
)


@dataclass(frozen=True)
class RenditionFile:
    spec: Spec
    path: Path
    bytes: int


@dataclass(frozen=True)
class Rendered:
    duration_ms: int
    waveform: list[int]
    loudness_in: float
    gain_db: float
    files: list[RenditionFile]


def _deadline_check(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise Rejected(Reason.CORRUPT, "The recording took too long to decode.")


def _decode(source: BinaryIO, pcm_path: Path, max_seconds: float, deadline: float) -> float:
    """Decode to mono float32 at 48 kHz into ``pcm_path``; return the integrated loudness."""
    limit = int(max_seconds * RATE)
    written = 0
    meter = LoudnessMeter(RATE)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    with open_input(source) as container, pcm_path.open("wb") as pcm:
        stream = audio_stream(container)

        def take(frame: av.AudioFrame | None) -> None:
            nonlocal written
            for out in resampler.resample(frame):
                meter.push(out)
                written += out.samples
                if written > limit:
                    raise Rejected(
                        Reason.TOO_LONG, f"Recordings are limited to {max_seconds / 60:g} minutes."
                    )
                pcm.write(out.to_ndarray().tobytes())
            _deadline_check(deadline)

        try:
            for frame in container.decode(stream):
                take(frame)
            take(None)
            meter.push(None)
        except av.error.FFmpegError as exc:
            raise Rejected(Reason.CORRUPT, "The recording is damaged and cannot be decoded.") from exc
    if written == 0:
        raise Rejected(Reason.CORRUPT, "The recording holds no sound that can be decoded.")
    return meter.integrated()


def _peaks(samples: np.ndarray) -> np.ndarray:
    step = BLOCK * 1000
    return np.concatenate([block_peaks(samples[i : i + step], BLOCK) for i in range(0, samples.size, step)])


class _Encoder:
    def __init__(self, spec: Spec, path: Path) -> None:
        self.spec = spec
        self.path = path
        self.container = av.open(str(path), "w", format=spec.muxer)
        stream = self.container.add_stream(spec.codec, rate=RATE, layout="mono")
        if not isinstance(stream, av.audio.stream.AudioStream):
            raise TypeError(f"{spec.codec} is not an audio codec")
        self.stream = stream
        self.stream.bit_rate = spec.bitrate
        self.stream.codec_context.options = dict(spec.options)
        context = self.stream.codec_context
        self.resampler = av.AudioResampler(
            format=context.format.name, layout="mono", rate=RATE, frame_size=context.frame_size or 1024
        )

    def encode(self, frame: av.AudioFrame | None) -> None:
        for chunk in self.resampler.resample(frame):
            self.container.mux(self.stream.encode(chunk))
        if frame is None:
            self.container.mux(self.stream.encode(None))
            self.container.close()

    def close(self) -> None:
        self.container.close()


@dataclass(frozen=True)
class Measured:
    """Pass one's result: the speech (silence trimmed), the gain it needs, and its waveform."""

    speech: np.ndarray
    loudness_in: float
    gain_db: float
    waveform: list[int]


def measure(source: BinaryIO, workdir: Path, max_seconds: float, deadline: float) -> Measured:
    """Pass one: decode ``source`` into ``workdir`` once, measure it and find the speech."""
    pcm_path = workdir / "decoded.f32"
    loudness = _decode(source, pcm_path, max_seconds, deadline)
    samples = np.memmap(pcm_path, dtype=np.float32, mode="r")
    peaks = _peaks(samples)
    span = speech_span(peaks)
    if span is None or loudness < SILENT_BELOW_LUFS:
        raise Rejected(Reason.SILENT, "The recording is silent; check the microphone and record again.")
    return Measured(
        speech=samples[span.start * BLOCK : min(span.stop * BLOCK, samples.size)],
        loudness_in=loudness,
        gain_db=min(max(TARGET_LUFS - loudness, MIN_GAIN_DB), MAX_GAIN_DB),
        waveform=waveform(peaks[span.start : span.stop]),
    )


def normalised_frames(measured: Measured) -> Iterator[av.AudioFrame]:
    """Pass two's input to every encoder: the speech with its gain, through the peak limiter."""
    gain = np.float32(10 ** (measured.gain_db / 20))
    limiter = AudioFilter("alimiter", LIMITER, RATE)
    for start in range(0, measured.speech.size, CHUNK):
        chunk = np.asarray(measured.speech[start : start + CHUNK], dtype=np.float32) * gain
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = RATE
        frame.pts = start
        frame.time_base = TIME_BASE
        yield from limiter.process(frame)
    yield from limiter.process(None)


def _encode(measured: Measured, workdir: Path) -> list[RenditionFile]:
    encoders = [_Encoder(spec, workdir / f"{spec.format}.{spec.extension}") for spec in RENDITIONS]
    try:
        for frame in normalised_frames(measured):
            for encoder in encoders:
                encoder.encode(frame)
        for encoder in encoders:
            encoder.encode(None)
    except BaseException:
        for encoder in encoders:
            encoder.close()
        raise
    return [RenditionFile(e.spec, e.path, e.path.stat().st_size) for e in encoders]


def render(source: BinaryIO, workdir: Path, max_seconds: float, time_budget_seconds: float) -> Rendered:
    """Every rendition of ``source`` as files in ``workdir``; Rejected if it cannot be one."""
    deadline = time.monotonic() + time_budget_seconds
    measured = measure(source, workdir, max_seconds, deadline)
    files = _encode(measured, workdir)
    _deadline_check(deadline)
    return Rendered(
        duration_ms=int(measured.speech.size * 1000 / RATE),
        waveform=measured.waveform,
        loudness_in=measured.loudness_in,
        gain_db=measured.gain_db,
        files=files,
    )
