"""One FFmpeg audio filter run over a stream of mono float frames."""

from __future__ import annotations

from fractions import Fraction
from typing import cast

import av
import av.filter


class AudioFilter:
    """``abuffer -> <name>=<args> -> abuffersink``; push frames in order, then None to flush."""

    def __init__(self, name: str, args: str, sample_rate: int) -> None:
        self._graph = av.filter.Graph()
        source = self._graph.add_abuffer(
            sample_rate=sample_rate, format="flt", layout="mono", time_base=Fraction(1, sample_rate)
        )
        node = self._graph.add(name, args)
        sink = self._graph.add("abuffersink")
        source.link_to(node)
        node.link_to(sink)
        self._graph.configure()

    def process(self, frame: av.AudioFrame | None) -> list[av.AudioFrame]:
        """What the filter lets out after taking ``frame`` (None: everything it still holds)."""
        self._graph.push(frame)
        out: list[av.AudioFrame] = []
        while True:
            try:
                # An audio graph lets out audio frames only.
                out.append(cast(av.AudioFrame, self._graph.pull()))
            except (av.BlockingIOError, av.EOFError):
                return out
