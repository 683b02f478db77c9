"""Recordings made with PyAV for the tests: speech-like sound in every format phones produce,
and damaged or hostile files that must be refused."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np

RATE = 48_000


def speech(
    seconds: float, level_db: float = -30.0, rate: int = RATE, lead_silence: float = 0.0
) -> np.ndarray:
    """A voiced, syllable-like signal (a gliding pitch with harmonics, 4 syllables a second)."""
    t = np.arange(int(seconds * rate)) / rate
    pitch = 150 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 10))
    syllables = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)
    signal = voiced * syllables
    signal *= 10 ** (level_db / 20) / np.sqrt(np.mean(signal**2))
    silence = np.zeros(int(lead_silence * rate))
    return np.concatenate([silence, signal, silence]).astype(np.float32)


@dataclass(frozen=True)
class Format:
    name: str
    muxer: str
    codec: str
    rate: int
    bitrate: int | None = None


FORMATS = {
    "amr": Format("amr", "amr", "libopencore_amrnb", 8000, 12_200),
    "3gp-amr": Format("3gp-amr", "3gp", "libopencore_amrnb", 8000, 12_200),
    "3gp-aac": Format("3gp-aac", "3gp", "aac", 44_100, 64_000),
    "m4a": Format("m4a", "ipod", "aac", 44_100, 96_000),
    "mp4": Format("mp4", "mp4", "aac", 48_000, 64_000),
    "webm": Format("webm", "webm", "libopus", 48_000, 32_000),
    "ogg": Format("ogg", "ogg", "libopus", 48_000, 32_000),
    "mp3": Format("mp3", "mp3", "libmp3lame", 44_100, 64_000),
    "wav": Format("wav", "wav", "pcm_s16le", 16_000),
    "flac": Format("flac", "flac", "flac", 44_100),
}


def encode(samples: np.ndarray, fmt: Format, layout: str = "mono") -> bytes:
    """Encode mono float samples at 48 kHz into ``fmt``, in memory."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt.muxer) as container:
        stream = container.add_stream(fmt.codec, rate=fmt.rate, layout=layout)
        if fmt.bitrate:
            stream.bit_rate = fmt.bitrate
        context = stream.codec_context
        resampler = av.AudioResampler(
            format=context.format.name, layout=layout, rate=fmt.rate, frame_size=context.frame_size or 1024
        )
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = RATE
        frame.pts = 0
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            container.mux(stream.encode(chunk))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def recording(name: str, seconds: float = 4.0, level_db: float = -30.0) -> bytes:
    """A quiet phone recording with a little silence at both ends, in format ``name``."""
    return encode(speech(seconds, level_db, lead_silence=0.5), FORMATS[name])


def amr_wb_no_data(frames: int = 150) -> bytes:
    """An AMR-WB file (no encoder exists here): every frame is NO_DATA, so it decodes to silence."""
    return b"#!AMR-WB\n" + bytes([15 << 3 | 0x04]) * frames


def hostile() -> dict[str, bytes]:
    """Files that must be refused as not audio, whatever name or type they are sent with."""
    return {
        "hls": b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n",
        "concat": b"ffconcat version 1.0\nfile '/etc/passwd'\n",
        "text": "讲个故事吧, not a recording".encode(),
        "png": b"\x89PNG\r\n\x1a\n" + bytes(64),
    }


def damaged() -> dict[str, bytes]:
    """Recordings that claim a container we accept but cannot be decoded."""
    m4a = recording("m4a")
    return {
        "truncated-m4a": m4a[: len(m4a) // 3],
        "ogg-garbage": b"OggS" + bytes(range(256)) * 40,
        "riff-garbage": b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(32),
    }


def unsupported() -> bytes:
    """AC-3 in MP4: a real codec, but not one phones record voice messages in."""
    return encode(speech(2.0), Format("ac3", "mp4", "ac3", 48_000, 96_000))


def heard(data: bytes) -> tuple[str, float]:
    """What a player makes of ``data``: its codec and how many seconds it plays."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return stream.codec_context.name, samples / stream.codec_context.sample_rate
