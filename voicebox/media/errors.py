"""Why a recording is refused: the reasons a client sees in ``failure.reason``."""

from enum import StrEnum


class Reason(StrEnum):
    NOT_AUDIO = "not_audio"
    UNSUPPORTED_CODEC = "unsupported_codec"
    TOO_LONG = "too_long"
    TOO_LARGE = "too_large"
    CORRUPT = "corrupt"
    SILENT = "silent"


class Rejected(Exception):
    """The recording cannot become a message; permanent, so never worth retrying."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
