"""How urgent a help request is: its category, the child's urgent flag, and risk words in its text.

Priority 1 is the most urgent. Within the queue a request is ranked by ``rank_at``: the time it
queued, moved earlier by ``AGING_STEPS[priority]`` steps of the aging interval. So requests of
one priority come oldest first, and one that has waited a step longer than a request one
priority above it goes first (nothing starves). Priority 1 is moved a full day earlier: only a
request forgotten for a day could overtake a child in danger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app

import config
from config.settings import Settings, SettingsError
from voicebox.models import Category

DEFAULT_RISK_WORDS = Path(config.__file__).resolve().parent / "risk_words.txt"
_EXTENSION = "voicebox.helpdesk.risk_words"

CATEGORY_PRIORITY = {
    Category.SAFETY: 2,
    Category.BULLYING: 2,
    Category.FAMILY: 3,
    Category.SCHOOL: 3,
    Category.LONELY: 4,
    Category.OTHER: 4,
}
CRITICAL = 1
# How many aging intervals earlier than its queue time each priority ranks.
AGING_STEPS = {2: 2, 3: 1, 4: 0}
CRITICAL_LEAD = timedelta(days=1)


@dataclass(frozen=True)
class RiskWords:
    """A compiled list of risk terms; ``found`` returns those present in a text."""

    terms: tuple[str, ...]
    pattern: re.Pattern[str] | None

    @classmethod
    def of(cls, terms: list[str]) -> RiskWords:
        unique = tuple(dict.fromkeys(term.strip().casefold() for term in terms if term.strip()))
        if not unique:
            return cls((), None)
        # Latin words match whole words ("skill" is not "kill"); Chinese has no spaces to match on.
        parts = [rf"\b{re.escape(t)}\b" if t.isascii() else re.escape(t) for t in unique]
        return cls(unique, re.compile("|".join(sorted(parts, key=len, reverse=True))))

    @classmethod
    def load(cls, path: str | Path | None) -> RiskWords:
        lines = Path(path or DEFAULT_RISK_WORDS).read_text(encoding="utf-8").splitlines()
        return cls.of([line for line in lines if not line.lstrip().startswith("#")])

    def found(self, text: str | None) -> list[str]:
        if not text or self.pattern is None:
            return []
        return list(dict.fromkeys(match.group(0) for match in self.pattern.finditer(text.casefold())))


def init_app(app: Flask, settings: Settings) -> None:
    """Read the risk words once, at start: a file that cannot be read, or that names none, stops
    start-up with the setting named (a help desk that screens for nothing must not run)."""
    try:
        words = RiskWords.load(settings.risk_words_file)
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"VOICEBOX_RISK_WORDS_FILE: cannot read the risk words: {exc}") from None
    if not words.terms:
        raise SettingsError(
            f"VOICEBOX_RISK_WORDS_FILE: {settings.risk_words_file or DEFAULT_RISK_WORDS} names no word"
        )
    app.extensions[_EXTENSION] = words


def current_risk_words() -> RiskWords:
    """The words that raise a help request's priority, as the app read them at start."""
    return current_app.extensions[_EXTENSION]


def priority(category: str, urgent: bool, risk_terms: list[str]) -> int:
    """1 (a child who may be in danger) to 4 (lonely, other)."""
    if risk_terms or (urgent and category == Category.SAFETY):
        return CRITICAL
    level = CATEGORY_PRIORITY[Category(category)]
    return max(level - 1, 2) if urgent else level


def rank_at(level: int, waiting_since: datetime, aging: timedelta) -> datetime:
    if level == CRITICAL:
        return waiting_since - CRITICAL_LEAD
    return waiting_since - AGING_STEPS[level] * aging
