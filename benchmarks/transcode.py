"""The whole media task for 60 s recordings in every input format, against the ffmpeg tool.

voicebox: ``processing.transcode`` on one message (read the original from the blob store,
decode once, measure, trim, normalise, limit, encode three renditions, store them, deliver).
Baseline in the same run: Debian's ``ffmpeg`` command producing the same three renditions with
the same filters (a measuring pass with ebur128 and silencedetect, then one encoding pass with
atrim, volume, alimiter and asplit). Both are pinned to one core; the median of three runs counts.
Goals: voicebox/ffmpeg at most 1.2 for every format, and at least 30 s of audio per second.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import delete, update

from benchmarks._harness import report
from config.settings import Settings
from tests import audio
from voicebox import create_app
from voicebox.extensions import current_blob_store, db
from voicebox.media import RENDITIONS
from voicebox.media.transcode import LIMITER, TARGET_LUFS
from voicebox.models import Child, Delivery, Message, MessageStatus, User
from voicebox.services import processing

SECONDS = 60
RUNS = 3


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


def seed_message(app, data: bytes) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        user = User(
            phone="+8613800000001", password_hash="x", display_name="Mama", role="parent", status="active"
        )
        child = Child(display_name="Xiaoming", birth_year=2018, timezone="Asia/Shanghai")
        db.session.add_all([user, child])
        db.session.flush()
        message = Message(
            kind="story",
            child_id=child.id,
            direction="to_child",
            sender_user_id=user.id,
            status=MessageStatus.PROCESSING,
            original_key="bench/original",
            original_bytes=len(data),
            attempts=0,
        )
        db.session.add(message)
        current_blob_store().put("bench/original", data)
        db.session.commit()
        return message.id


def time_voicebox(app, message_id: str) -> float:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.execute(delete(Delivery))
        db.session.execute(
            update(Message).values(status=MessageStatus.PROCESSING, attempts=0, renditions=None)
        )
        db.session.commit()
        started = time.perf_counter()
        outcome = processing.transcode(message_id)
        elapsed = time.perf_counter() - started
        assert outcome == MessageStatus.DELIVERED, outcome
        return elapsed


def main() -> None:
    if shutil.which("ffmpeg") is None:
        sys.exit("benchmarks.transcode needs the ffmpeg tool: apt-get install ffmpeg")
    os.sched_setaffinity(0, {0})
    worst_ratio, slowest_speed = 0.0, float("inf")
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings.from_env(
            {"VOICEBOX_DATA_DIR": data_dir, "VOICEBOX_LOG_LEVEL": "WARNING"}, env_file=None
        )
        app = create_app(settings)
        with app.app_context():
            upgrade()
        for name in audio.FORMATS:
            data = audio.recording(name, seconds=SECONDS)
            source = Path(data_dir) / f"input-{name}"
            source.write_bytes(data)
            with app.app_context():
                db.session.execute(delete(Message))
                db.session.execute(delete(Child))
                db.session.execute(delete(User))
                db.session.commit()
            message_id = seed_message(app, data)
            ours, baseline = [], []
            for _ in range(RUNS):
                ours.append(time_voicebox(app, message_id))
                baseline.append(time_ffmpeg(source))
            mine, theirs = statistics.median(ours), statistics.median(baseline)
            ratio, speed = mine / theirs, SECONDS / mine
            worst_ratio, slowest_speed = max(worst_ratio, ratio), min(slowest_speed, speed)
            print(
                f"{name:8} voicebox {mine:.2f} s, ffmpeg {theirs:.2f} s, "
                f"ratio {ratio:.2f}, {speed:.0f} s of audio per second on one core",
                flush=True,
            )
    report("transcode_vs_ffmpeg_worst_format", worst_ratio, "<= 1.2", worst_ratio <= 1.2)
    report("transcode_audio_seconds_per_core_second_slowest", slowest_speed, ">= 30", slowest_speed >= 30)


if __name__ == "__main__":
    main()
