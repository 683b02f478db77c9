"""Every format phones record travels from upload to delivered to played, on a real worker."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import pytest

from tests import audio
from tests.conftest import Api
from tests.integration.recordings import fetch_audio, send, wait_for
from voicebox.media.loudness import measure_file

EXPECTED_CODEC = {"opus": "opus", "opus_low": "opus", "aac": "aac"}
NOMINAL_BITRATE = {"opus": 24_000, "opus_low": 12_000, "aac": 48_000}


def decoded(data: bytes, tmp_path: Path, name: str) -> tuple[str, float, Path]:
    path = tmp_path / name
    path.write_bytes(data)
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return stream.codec_context.name, samples / stream.codec_context.sample_rate, path


def test_every_format_is_transcoded_delivered_and_heard(
    parent: Api, make_child, pair_device, worker: subprocess.Popen, tmp_path: Path
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    sent = {}
    for name in audio.FORMATS:
        response = send(parent, child["id"], audio.recording(name), title=f"In {name}")
        assert response.status_code == 202, response.json
        assert response.json["status"] == "processing"
        sent[name] = response.json["id"]
    for name, message_id in sent.items():
        message = wait_for(parent, message_id, worker=worker)
        assert message["status"] == "delivered", (name, message["failure"])
        # 4 s of speech between 0.5 s of silence: trimmed to the speech and a little air.
        assert 4000 <= message["duration_ms"] <= 4600, name
        assert 0 < len(message["waveform"]) <= 100 and all(0 <= v <= 100 for v in message["waveform"])
        assert {r["format"] for r in message["renditions"]} == set(EXPECTED_CODEC)
        for rendition in message["renditions"]:
            status, data, _ = fetch_audio(device, message_id, rendition["format"])
            assert status == 200 and len(data) == rendition["bytes"]
            codec, seconds, path = decoded(data, tmp_path, f"{name}-{rendition['format']}")
            assert codec == EXPECTED_CODEC[rendition["format"]], name
            assert abs(seconds * 1000 - message["duration_ms"]) < 150, (name, rendition["format"])
            bitrate = len(data) * 8 / seconds
            assert (
                0.5 * NOMINAL_BITRATE[rendition["format"]]
                < bitrate
                < 1.5 * NOMINAL_BITRATE[rendition["format"]]
            )
            assert measure_file(path) == pytest.approx(-16, abs=2), (name, rendition["format"])
    inbox = device.get("/inbox?limit=100").json["items"]
    assert {m["id"] for m in inbox} == set(sent.values())
    for message in inbox:
        assert message["status"] == "delivered" and message["played_at"] is None
        finished = {"position_ms": message["duration_ms"], "completed": True}
        assert device.post(f"/messages/{message['id']}/plays", finished).status_code == 204
    outbox = parent.get("/outbox?limit=100").json["items"]
    assert {m["status"] for m in outbox} == {"played"}
    assert all(m["played_at"].endswith("Z") for m in outbox)


def test_refused_recordings_fail_with_their_reason(
    parent: Api, make_child, pair_device, worker: subprocess.Popen
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    cases = {f"hostile {k}": (v, "not_audio") for k, v in audio.hostile().items()}
    cases |= {f"damaged {k}": (v, "corrupt") for k, v in audio.damaged().items()}
    cases["ac3"] = (audio.unsupported(), "unsupported_codec")
    cases["silent wav"] = (audio.encode(audio.speech(3.0, level_db=-90), audio.FORMATS["wav"]), "silent")
    # AMR-WB is accepted (no encoder exists to make speech in it): its empty frames are silence.
    cases["amr-wb of no speech"] = (audio.amr_wb_no_data(), "silent")
    sent = {}
    for name, (data, _) in cases.items():
        response = send(parent, child["id"], data, filename="story.m4a")
        assert response.status_code == 202, (name, response.json)
        sent[name] = response.json["id"]
    for name, message_id in sent.items():
        message = wait_for(parent, message_id, worker=worker)
        assert message["status"] == "failed", name
        assert message["failure"]["reason"] == cases[name][1], (name, message["failure"])
        assert message["failure"]["detail"]
        assert message["renditions"] == [] and message["delivered_at"] is None
    assert device.get("/inbox").json["items"] == []


def test_an_empty_recording_is_refused_at_once(parent: Api, make_child) -> None:
    child = make_child()
    response = send(parent, child["id"], b"", filename="empty.amr")
    assert response.status_code == 422
