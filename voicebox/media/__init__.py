"""Audio in and out with PyAV: probe, transcode, loudness, waveform. No Flask, no database."""

from voicebox.media.errors import Reason, Rejected
from voicebox.media.transcode import RENDITIONS, Rendered, RenditionFile, Spec, render

__all__ = [
    "RENDITIONS",
    "Reason",
    "Rejected",
    "Rendered",
    "RenditionFile",
    "Spec",
    "render",
]
