"""One FFmpeg audio filter run over a stream of mono float frames."""

from __future__ import annotations

import av
import av.filter


class AudioFilter:
    """``abuffer -> <name>=<args> -> abuffersink``; push frames in order, then None to flush."""

    def __init__(self, name: str, args: str, sample_rate: int) -> None:
        self._graph = av.filter.Graph()
        source = self._graph.add_abuffer(
            sample_rate=sample_rate, format="flt", layout="mono", time_base=f"1/{sample_rate}"
        )
        node = self._graph.add(name, args)
        sink = self._graph.add("abuffersink")
        source.link_to(node)
        node.link_to(sink)
        self._graph.configure()

    def process(self, frame: av.AudioFrame | None) -> list[av.AudioFrame]:
        """What the filter lets out after taking ``frame`` (None: everything it still holds)."""
        self._graph.push(frame)
        out = []
        while True:
            try:
                out.append(self._graph.pull())
            except (av.BlockingIOError, av.EOFError):
                return out
