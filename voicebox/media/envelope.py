"""The shape of a recording over time: block peaks, where the speech is, and a waveform."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLOCK_SECONDS = 0.01
# A block is sound if it peaks above both an absolute floor (phone hiss sits below it) and a
# level relative to the loudest block, so a loud recording's breaths are trimmed as silence.
SOUND_FLOOR_DBFS = -50.0
RELATIVE_FLOOR_DB = -40.0
# Keep a little air around the speech: clipping a first consonant sounds broken.
LEAD_PAD_BLOCKS = 15
TAIL_PAD_BLOCKS = 25
WAVEFORM_POINTS = 100


def _from_db(db: float) -> float:
    return float(10 ** (db / 20))


@dataclass(frozen=True)
class Span:
    start: int
    stop: int


def block_peaks(samples: np.ndarray, block: int) -> np.ndarray:
    """The peak absolute value of each full or partial block of ``samples``."""
    if samples.size == 0:
        return np.zeros(0, dtype=np.float32)
    blocks = -(-samples.size // block)
    padded = np.zeros(blocks * block, dtype=np.float32)
    padded[: samples.size] = np.abs(samples)
    return padded.reshape(blocks, block).max(axis=1)


def speech_span(peaks: np.ndarray) -> Span | None:
    """The blocks from the first sound to the last, padded; None if nothing is sound."""
    if peaks.size == 0:
        return None
    floor = max(_from_db(SOUND_FLOOR_DBFS), float(peaks.max()) * _from_db(RELATIVE_FLOOR_DB))
    loud = np.flatnonzero(peaks > floor)
    if loud.size == 0:
        return None
    return Span(max(int(loud[0]) - LEAD_PAD_BLOCKS, 0), min(int(loud[-1]) + 1 + TAIL_PAD_BLOCKS, peaks.size))


def waveform(peaks: np.ndarray, points: int = WAVEFORM_POINTS) -> list[int]:
    """At most ``points`` integers 0-100: each bucket's peak, relative to the loudest."""
    if peaks.size == 0:
        return []
    buckets = np.array_split(peaks, min(points, peaks.size))
    heights = np.array([bucket.max() for bucket in buckets])
    top = float(heights.max()) or 1.0
    return [int(round(100 * float(h) / top)) for h in heights]
