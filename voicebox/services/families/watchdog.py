"""The no-contact watchdog: children who have heard nothing from home for a while.

Contact is a guardian's message or story delivered to the child; a child's own reply is not
contact from home. Each child's row keeps the clock (``quiet_since``), which delivery moves on
every contact (``messaging.delivery``), so a child leaves the list the moment contact resumes.
The guardians are nudged, with something they could say; the child is never told anything.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import or_, select

import config
from config.settings import Settings, SettingsError
from voicebox.clock import age, utcnow
from voicebox.errors import Forbidden
from voicebox.extensions import current_settings, db
from voicebox.models import Child, ChildGroup, Curatorship, GroupMember, Guardianship, Role
from voicebox.notify import Notifier, NotifyFailed, notification_id
from voicebox.services import paging, policy
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.work import unit

log = logging.getLogger(__name__)

DEFAULT_PROMPTS = Path(config.__file__).resolve().parent / "prompts.json"
_EXTENSION = "voicebox.families.prompts"
BATCH = 200


@dataclass(frozen=True)
class Prompts:
    """Things a parent could say, in bands by the child's age."""

    bands: tuple[tuple[int, int, tuple[dict[str, str], ...]], ...]

    @classmethod
    def load(cls, path: str | Path | None) -> Prompts:
        data = json.loads(Path(path or DEFAULT_PROMPTS).read_text(encoding="utf-8"))
        return cls(tuple((b["ages"][0], b["ages"][1], tuple(b["prompts"])) for b in data["bands"]))

    def pick(self, age: int, turn: int) -> dict[str, str] | None:
        """The ``turn``-th prompt for a child of ``age`` (so each nudge brings another)."""
        for low, high, prompts in self.bands:
            if low <= age <= high and prompts:
                return prompts[turn % len(prompts)]
        return None


def init_app(app: Flask, settings: Settings) -> None:
    """Read the prompts once, at start: a file that cannot be read or is not shaped as
    ``config/prompts.json`` stops start-up with the setting named, not the first nudge."""
    try:
        prompts = Prompts.load(settings.prompts_file)
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise SettingsError(f"VOICEBOX_PROMPTS_FILE: cannot read the prompts: {exc!r}") from None
    app.extensions[_EXTENSION] = prompts


def current_prompts() -> Prompts:
    """What the watchdog suggests a quiet child's parent could say, as read at start."""
    return current_app.extensions[_EXTENSION]


def _quiet_cutoff() -> datetime:
    return utcnow() - timedelta(days=current_settings().quiet_days)


@dataclass(frozen=True)
class QuietChild:
    child: dict[str, Any]
    quiet_since: datetime
    last_contact_at: datetime | None
    days_since_contact: int
    nudged_at: datetime | None


@dataclass(frozen=True)
class Nudge:
    """What a guardian was told about a child gone quiet: when, how long, what they could say."""

    nudged_at: datetime
    days_since_contact: int
    prompt: dict[str, str] | None


def current_nudge(principal: Principal, child_id: str) -> Nudge | None:
    """The nudge of this quiet spell, for a guardian of the child; None once contact resumed."""
    child = policy.guarded_child(principal, child_id)
    if child.nudged_at is None or child.nudged_at < child.quiet_since:
        return None
    # The prompt the nudge itself carried (see ``_nudge_batch``).
    turn = (child.nudged_at - child.quiet_since).days // current_settings().quiet_days
    return Nudge(
        nudged_at=child.nudged_at,
        days_since_contact=(utcnow() - child.quiet_since).days,
        prompt=current_prompts().pick(age(child.birth_year, child.timezone), turn),
    )


def quiet_children(
    principal: Principal, cursor: str | None, limit: int = paging.DEFAULT_LIMIT
) -> paging.Page:
    """Children quiet for the set number of days, longest first: every child for supervisors
    and admins; for a curator, the children in their organisations' groups."""
    query = select(Child).where(Child.quiet_since <= _quiet_cutoff())
    if principal.role not in (Role.SUPERVISOR, Role.ADMIN):
        if not policy.is_curator(principal):
            raise Forbidden("Only supervisors, admins and curators can see quiet children.")
        theirs = (
            select(GroupMember.child_id)
            .join(ChildGroup, ChildGroup.id == GroupMember.group_id)
            .join(Curatorship, Curatorship.org_id == ChildGroup.org_id)
            .where(Curatorship.user_id == user_of(principal).id)
        )
        query = query.where(Child.id.in_(theirs))
    now = utcnow()
    rows, last = paging.oldest_first(query, Child.quiet_since, Child.id, cursor, limit)
    items = [
        QuietChild(
            child={
                "id": child.id,
                "display_name": child.display_name,
                "age": age(child.birth_year, child.timezone),
                "timezone": child.timezone,
            },
            quiet_since=child.quiet_since,
            last_contact_at=child.last_contact_at,
            days_since_contact=(now - child.quiet_since).days,
            nudged_at=child.nudged_at,
        )
        for (child,) in rows
    ]
    next_cursor = paging.encode_cursor(last.Child.quiet_since, last.Child.id) if last else None
    return paging.Page(items, next_cursor)


def nudge(notifier: Notifier) -> int:
    """Nudge the guardians of one batch of quiet children; again every N days while quiet.

    A child is marked nudged only once every guardian was told; when the notifier fails, what
    was done is kept and the error raised, so the task retries the rest.
    """
    with unit(alone=True):
        nudged, failed = _nudge_batch(notifier)
    if nudged:
        log.info("nudged the guardians of %d quiet children", nudged)
    if failed is not None:
        raise failed
    return nudged


def _nudge_batch(notifier: Notifier) -> tuple[int, NotifyFailed | None]:
    """How many children of one batch were nudged, and why the rest were not."""
    cutoff = _quiet_cutoff()
    days = current_settings().quiet_days
    prompts = current_prompts()
    children = list(
        db.session.scalars(
            select(Child)
            .where(Child.quiet_since <= cutoff, or_(Child.nudged_at.is_(None), Child.nudged_at <= cutoff))
            .order_by(Child.quiet_since)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    now = utcnow()
    nudged = 0
    for child in children:
        quiet_days = (now - child.quiet_since).days
        prompt = prompts.pick(age(child.birth_year, child.timezone), quiet_days // days)
        guardians = db.session.scalars(select(Guardianship.user_id).where(Guardianship.child_id == child.id))
        try:
            for user_id in guardians:
                notifier.notify(
                    {
                        # One nudge of one silence, however often its run is tried again.
                        "id": notification_id(
                            "child.quiet",
                            child.id,
                            child.quiet_since.isoformat(),
                            str(quiet_days // days),
                            user_id,
                        ),
                        "type": "child.quiet",
                        "child_id": child.id,
                        "child_name": child.display_name,
                        "days_since_contact": quiet_days,
                        "prompt": prompt,
                        "recipient": {"user_id": user_id},
                    }
                )
        except NotifyFailed as failed:
            return nudged, failed
        child.nudged_at = now
        nudged += 1
    return nudged, None
