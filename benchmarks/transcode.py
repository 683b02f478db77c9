"""The whole media task for 60 s recordings in every input format, against two baselines.

voicebox: ``processing.transcode`` on one message (read the original from the blob store,
decode once, measure, trim, normalise, limit, encode three renditions, store them, deliver).
Baselines in the same run, on the same recording:

- the encoders alone: PyAV's libopus and aac encoders turning the same decoded audio, exactly
  the frames the task feeds them (mono float at 48 kHz, trimmed, with its gain and limiter,
  made beforehand), into the same three renditions, with nothing else. No transcode can be
  faster than its encoders, so this says how close the whole task comes to its limit;
- Debian's ``ffmpeg`` command producing the same three renditions with the same filters (a
  measuring pass with ebur128 and silencedetect, then one encoding pass with atrim, volume,
  alimiter and asplit): the tool decodes twice, voicebox once.

All are pinned to one core; the fastest of three runs counts (noise only ever adds time).
Goals, for the worst format: voicebox at most 1.25 times the encoders alone, and at most 1.0
times the ffmpeg tool.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
from flask_migrate import upgrade
from sqlalchemy import delete, select, update

from benchmarks._harness import entry, report
from config.settings import Settings
from tests import audio
from voicebox import create_app
from voicebox.extensions import current_blob_store, db
from voicebox.media import RENDITIONS
from voicebox.media.transcode import LIMITER, TARGET_LUFS, measure, normalised_frames
from voicebox.models import Child, Delivery, Message, MessageStatus, Recording, RecordingStatus, User
from voicebox.services.recordings import processing

RATE = 48_000
SECONDS_LIMIT = 3600

FF = [
    "taskset",
    "-c",
    "0",
    "ffmpeg",
    "-hide_banner",
    "-nostdin",
    "-y",
    "-threads",
    "1",
    "-filter_threads",
    "1",
]


def ffmpeg_pipeline(source: Path, out: Path) -> None:
    """What voicebox does, as two ffmpeg commands: measure (loudness, silences), then render."""
    measure = [
        *FF,
        "-loglevel",
        "info",
        "-i",
        str(source),
        "-af",
        "aresample=48000,aformat=channel_layouts=mono,ebur128,silencedetect=noise=-50dB:d=0.1",
        "-f",
        "null",
        "-",
    ]
    log = subprocess.run(measure, check=True, capture_output=True, text=True).stderr
    loudness = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", log)[-1])
    ends = [float(v) for v in re.findall(r"silence_end: ([\d.]+)", log)]
    starts = [float(v) for v in re.findall(r"silence_start: ([\d.]+)", log)]
    start = ends[0] if ends and starts and starts[0] == 0 else 0.0
    trim = f"atrim=start={start}" + (f":end={starts[-1]}" if starts and starts[-1] > start else "")
    gain = min(max(TARGET_LUFS - loudness, -20.0), 30.0)
    chain = (
        f"[0:a]aresample=48000,aformat=sample_fmts=flt:channel_layouts=mono,{trim},"
        f"volume={gain:.2f}dB,alimiter={LIMITER},asplit=3[a][b][c]"
    )
    encode = [*FF, "-loglevel", "error", "-i", str(source), "-filter_complex", chain]
    for label, spec in zip("abc", RENDITIONS, strict=True):
        encode += ["-map", f"[{label}]", "-c:a", spec.codec, "-b:a", str(spec.bitrate)]
        for option, value in spec.options.items():
            encode += [f"-{option}", value]
        encode.append(str(out / f"{spec.format}.{spec.extension}"))
    subprocess.run(encode, check=True)


def time_ffmpeg(source: Path) -> float:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        ffmpeg_pipeline(source, Path(out))
        return time.perf_counter() - started


def encoders_input(data: bytes, workdir: Path) -> list[av.AudioFrame]:
    """The very frames the task's encoders are fed (decoded, trimmed, gain, limiter), made
    beforehand with voicebox's own first pass, so that only the encoders are timed."""
    measured = measure(io.BytesIO(data), workdir, SECONDS_LIMIT, time.monotonic() + SECONDS_LIMIT)
    return list(normalised_frames(measured))


def time_encoders(frames: list[av.AudioFrame], out: Path) -> float:
    """Seconds for the three renditions' encoders and muxers alone to take ``frames``."""
    started = time.perf_counter()
    for spec in RENDITIONS:
        with av.open(str(out / f"{spec.format}.{spec.extension}"), "w", format=spec.muxer) as container:
            stream = container.add_stream(spec.codec, rate=RATE, layout="mono")
            stream.bit_rate = spec.bitrate
            stream.codec_context.options = dict(spec.options)
            context = stream.codec_context
            # The encoder's own sample format and frame size: the least any caller must do.
            fit = av.AudioResampler(
                format=context.format.name, layout="mono", rate=RATE, frame_size=context.frame_size or 1024
            )
            for frame in [*frames, None]:
                for chunk in fit.resample(frame):
                    container.mux(stream.encode(chunk))
            container.mux(stream.encode(None))
    return time.perf_counter() - started


def seed_recording(app, data: bytes) -> str:  # type: ignore[no-untyped-def]
    """A story to a child whose recording waits for its transcode; returns the recording's id."""
    with app.app_context():
        user = User(
            phone="+8613800000001", password_hash="x", display_name="Mama", role="parent", status="active"
        )
        child = Child(display_name="Xiaoming", birth_year=2018, timezone="Asia/Shanghai")
        db.session.add_all([user, child])
        db.session.flush()
        recording = Recording(
            status=RecordingStatus.PROCESSING,
            original_key="bench/original",
            original_bytes=len(data),
            max_seconds=SECONDS_LIMIT,
            attempts=0,
        )
        db.session.add(recording)
        db.session.flush()
        db.session.add(
            Message(
                kind="story",
                child_id=child.id,
                direction="to_child",
                sender_user_id=user.id,
                status=MessageStatus.PROCESSING,
                recording_id=recording.id,
            )
        )
        current_blob_store().put("bench/original", data)
        db.session.commit()
        return recording.id


def time_voicebox(app, recording_id: str) -> float:  # type: ignore[no-untyped-def]
    """One transcode of the recording, through to its story's delivery."""
    with app.app_context():
        db.session.execute(delete(Delivery))
        db.session.execute(update(Message).values(status=MessageStatus.PROCESSING))
        db.session.execute(
            update(Recording).values(status=RecordingStatus.PROCESSING, attempts=0, renditions=None)
        )
        db.session.commit()
        started = time.perf_counter()
        outcome = processing.transcode(recording_id)
        elapsed = time.perf_counter() - started
        assert outcome == RecordingStatus.READY, outcome
        assert db.session.scalar(select(Message.status)) == MessageStatus.DELIVERED
        return elapsed


def main(quick: bool) -> None:
    seconds, runs = (5, 1) if quick else (60, 3)
    if shutil.which("ffmpeg") is None:
        sys.exit("benchmarks.transcode needs the ffmpeg tool: apt-get install ffmpeg")
    os.sched_setaffinity(0, {0})
    worst_vs_encoders, worst_vs_ffmpeg = 0.0, 0.0
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings.from_env(
            {"VOICEBOX_DATA_DIR": data_dir, "VOICEBOX_LOG_LEVEL": "WARNING"}, env_file=None
        )
        app = create_app(settings)
        with app.app_context():
            upgrade()
        for name in audio.FORMATS:
            data = audio.recording(name, seconds=seconds)
            frames = encoders_input(data, Path(data_dir))
            source = Path(data_dir) / f"input-{name}"
            source.write_bytes(data)
            with app.app_context():
                db.session.execute(delete(Message))
                db.session.execute(delete(Recording))
                db.session.execute(delete(Child))
                db.session.execute(delete(User))
                db.session.commit()
            recording_id = seed_recording(app, data)
            ours, encoders, tool = [], [], []
            for _ in range(runs):
                ours.append(time_voicebox(app, recording_id))
                with tempfile.TemporaryDirectory() as out:
                    encoders.append(time_encoders(frames, Path(out)))
                tool.append(time_ffmpeg(source))
            mine, floor, theirs = min(ours), min(encoders), min(tool)
            worst_vs_encoders = max(worst_vs_encoders, mine / floor)
            worst_vs_ffmpeg = max(worst_vs_ffmpeg, mine / theirs)
            print(
                f"{name:8} voicebox {mine:.2f} s, encoders alone {floor:.2f} s ({mine / floor:.2f}x), "
                f"ffmpeg {theirs:.2f} s ({mine / theirs:.2f}x); {seconds / mine:.0f} s of audio per second",
                flush=True,
            )
    report(
        "transcode_vs_encoders_alone_worst_format", worst_vs_encoders, "<= 1.25", worst_vs_encoders <= 1.25
    )
    report("transcode_vs_ffmpeg_worst_format", worst_vs_ffmpeg, "<= 1.0", worst_vs_ffmpeg <= 1.0)


if __name__ == "__main__":
    entry(main, __doc__)
