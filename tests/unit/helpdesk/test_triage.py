"""Triage: risk words in Chinese and English, the priority table, and aging by rank."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from voicebox.services.helpdesk import triage
from voicebox.services.helpdesk.triage import RiskWords


@pytest.fixture(scope="module")
def words() -> RiskWords:
    return RiskWords.load(None)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("我不想活了", ["不想活"]),
        ("妈妈，我想死", ["想死"]),
        ("I want to DIE", ["want to die"]),
        ("He said he would KILL MYSELF... no, kill myself!", ["kill myself"]),
        ("My skill at maths is bad", []),  # "kill" inside a word is not a risk word
        ("我喜欢刀削面", []),
        ("他拿刀吓我，救命", ["拿刀", "救命"]),
        ("", []),
        (None, []),
    ],
)
def test_risk_words_are_found_in_both_languages(words: RiskWords, text: str | None, found: list[str]) -> None:
    assert words.found(text) == found


def test_an_edited_list_replaces_the_default(tmp_path) -> None:
    path = tmp_path / "words.txt"
    path.write_text("# our own list\n\n  Lonely Forever \n孤单\n孤单\n", encoding="utf-8")
    words = RiskWords.load(path)
    assert words.terms == ("lonely forever", "孤单")
    assert words.found("so LONELY forever, 好孤单") == ["lonely forever", "孤单"]
    assert RiskWords.of([]).found("anything") == []


@pytest.mark.parametrize(
    ("category", "urgent", "risk", "priority"),
    [
        ("lonely", False, [], 4),
        ("other", False, [], 4),
        ("lonely", True, [], 3),
        ("family", False, [], 3),
        ("school", True, [], 2),
        ("bullying", False, [], 2),
        ("bullying", True, [], 2),
        ("safety", False, [], 2),
        ("safety", True, [], 1),
        ("lonely", False, ["想死"], 1),
    ],
)
def test_priority_comes_from_category_urgency_and_risk(
    category: str, urgent: bool, risk: list[str], priority: int
) -> None:
    assert triage.priority(category, urgent, risk) == priority


def test_aging_lets_a_long_wait_overtake_a_newer_higher_priority() -> None:
    step = timedelta(minutes=15)
    t0 = datetime(2026, 11, 23, 12, tzinfo=UTC)
    lonely = triage.rank_at(4, t0, step)
    assert triage.rank_at(2, t0 + 2 * step - timedelta(seconds=1), step) < lonely
    assert triage.rank_at(2, t0 + 2 * step + timedelta(seconds=1), step) > lonely
    assert triage.rank_at(3, t0 + step + timedelta(seconds=1), step) > lonely
    # A child in danger is overtaken only by a request forgotten for a day.
    assert triage.rank_at(1, t0 + timedelta(hours=23), step) < lonely
