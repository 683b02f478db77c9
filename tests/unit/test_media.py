"""The media pipeline on its own: limits, trimming, loudness and the waveform."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from tests import audio
from voicebox import media
from voicebox.media.envelope import speech_span, waveform
from voicebox.media.probe import sniff


def render(data: bytes, tmp_path: Path, max_seconds: float = 600, budget: float = 60) -> media.Rendered:
    return media.render(io.BytesIO(data), tmp_path, max_seconds, budget)


def test_a_recording_past_the_limit_is_too_long_whatever_its_header_says(tmp_path: Path) -> None:
    data = audio.encode(audio.speech(6.0), audio.FORMATS["ogg"])
    with pytest.raises(media.Rejected) as refused:
        render(data, tmp_path, max_seconds=5)
    assert refused.value.reason == media.Reason.TOO_LONG
    assert render(data, tmp_path, max_seconds=7).duration_ms == pytest.approx(6000, abs=400)


def test_decoding_has_a_time_budget(tmp_path: Path) -> None:
    with pytest.raises(media.Rejected) as refused:
        render(audio.recording("flac", seconds=3), tmp_path, budget=0)
    assert refused.value.reason == media.Reason.CORRUPT


def test_silence_is_trimmed_and_quiet_speech_made_audible(tmp_path: Path) -> None:
    samples = audio.speech(3.0, level_db=-45, lead_silence=2.0)
    rendered = render(audio.encode(samples, audio.FORMATS["wav"]), tmp_path)
    assert 3000 <= rendered.duration_ms <= 3500
    assert rendered.gain_db > 20
    for file in rendered.files:
        assert media.loudness.measure_file(file.path) == pytest.approx(-16, abs=2)


def test_loud_speech_is_turned_down_without_clipping(tmp_path: Path) -> None:
    rendered = render(audio.encode(audio.speech(3.0, level_db=-6), audio.FORMATS["wav"]), tmp_path)
    assert rendered.gain_db < 0
    opus = next(f for f in rendered.files if f.spec.format == "opus")
    assert media.loudness.measure_file(opus.path) == pytest.approx(-16, abs=2)


def test_containers_are_named_by_their_bytes() -> None:
    assert sniff(audio.recording("m4a")[:16]).startswith("mov")
    assert sniff(audio.recording("webm")[:16]).startswith("matroska")
    assert sniff(b"#!AMR-WB\n") == "amr"
    with pytest.raises(media.Rejected):
        sniff(b"#EXTM3U\n")
    with pytest.raises(media.Rejected):
        sniff(b"")


def test_the_waveform_and_speech_span() -> None:
    peaks = np.concatenate([np.zeros(100), np.full(300, 0.5), np.linspace(0.5, 0, 50), np.zeros(100)])
    span = speech_span(peaks.astype(np.float32))
    assert span is not None and 80 <= span.start <= 100 and 440 <= span.stop <= 480
    shape = waveform(peaks)
    assert len(shape) == 100 and max(shape) == 100 and min(shape) == 0
    assert waveform(np.array([0.2, 0.4])) == [50, 100]
    assert speech_span(np.zeros(50, dtype=np.float32)) is None
