"""Identify an untrusted recording by its bytes, and open it so it can read nothing else.

The container is chosen from the file's first bytes, never from a name or a Content-Type, and
handed to FFmpeg explicitly: FFmpeg's own format guessing would also accept playlists (HLS,
concat scripts) that tell it to open other files or URLs. The input is a Python file object, so
no protocol is needed at all and every protocol is refused for nested opens.
"""

from __future__ import annotations

from typing import BinaryIO

import av
import av.container

from voicebox.media.errors import Reason, Rejected

# Demuxer names as FFmpeg knows them, for each family of recordings phones make.
_MP4 = "mov,mp4,m4a,3gp,3g2,mj2"
_MATROSKA = "matroska,webm"
DEMUXERS = (_MP4, _MATROSKA, "ogg", "amr", "mp3", "wav", "flac")
# Decoders we accept: what real phones and browsers record (DESIGN.md's whitelist).
CODECS = frozenset(
    {
        "amrnb",
        "amrwb",
        "aac",
        "opus",
        "mp3",
        "mp3float",
        "flac",
        "pcm_s16le",
        "pcm_s24le",
        "pcm_s32le",
        "pcm_f32le",
        "pcm_u8",
        "pcm_alaw",
        "pcm_mulaw",
    }
)
MAX_CHANNELS = 8
MAX_SAMPLE_RATE = 192_000
_OPTIONS = {
    "protocol_whitelist": "none",
    "format_whitelist": ",".join(DEMUXERS),
    # An MP4 may reference media in other files ("data references"); never follow them.
    "enable_drefs": "0",
}


def sniff(head: bytes) -> str:
    """The demuxer for a recording's first bytes; Rejected(not_audio) for anything else."""
    if head[4:8] == b"ftyp":
        return _MP4
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _MATROSKA
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    raise Rejected(Reason.NOT_AUDIO, "This file is not a recording we can read.")


def open_input(source: BinaryIO) -> av.container.InputContainer:
    """Open the recording with the demuxer its bytes name, reading nothing but ``source``."""
    source.seek(0)
    demuxer = sniff(source.read(16))
    source.seek(0)
    try:
        return av.open(source, mode="r", format=demuxer.split(",")[0], options=_OPTIONS)
    except av.error.FFmpegError as exc:
        raise Rejected(Reason.CORRUPT, "The recording is damaged and cannot be read.") from exc


def audio_stream(container: av.container.InputContainer) -> av.AudioStream:
    """The recording's audio stream, checked against the codec and shape whitelist."""
    if not container.streams.audio:
        raise Rejected(Reason.NOT_AUDIO, "The file has no sound in it.")
    stream = container.streams.audio[0]
    context = stream.codec_context
    if context.codec is None or context.codec.name not in CODECS:
        raise Rejected(
            Reason.UNSUPPORTED_CODEC, f"Recordings in {context.name or 'this codec'} are not supported."
        )
    if (
        not 0 < context.layout.nb_channels <= MAX_CHANNELS
        or not 0 < (context.sample_rate or 0) <= MAX_SAMPLE_RATE
    ):
        raise Rejected(Reason.CORRUPT, "The recording declares an impossible shape.")
    return stream
