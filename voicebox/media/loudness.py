"""Integrated loudness (EBU R128 / ITU BS.1770) with FFmpeg's ``ebur128`` filter, streamed."""

from __future__ import annotations

from pathlib import Path

import av

from voicebox.media.filters import AudioFilter

# ebur128 answers -70 LUFS (its gate) for digital silence.
SILENCE_LUFS = -70.0


class LoudnessMeter:
    """Feed decoded mono float frames in order; ``integrated()`` is their loudness in LUFS."""

    def __init__(self, sample_rate: int) -> None:
        self._meter = AudioFilter("ebur128", "metadata=1", sample_rate)
        self._value = SILENCE_LUFS

    def push(self, frame: av.AudioFrame | None) -> None:
        for out in self._meter.process(frame):
            value = out.metadata.get("lavfi.r128.I")
            if value is not None:
                self._value = float(value)

    def integrated(self) -> float:
        return self._value


def measure_file(path: Path) -> float:
    """The integrated loudness of a whole file's first audio stream (used to check renditions)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=48_000)
        meter = LoudnessMeter(48_000)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                meter.push(out)
        for out in resampler.resample(None):
            meter.push(out)
        meter.push(None)
        return meter.integrated()
