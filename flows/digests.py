"""Writes each coordinator's digest for the day into the outbox (one per coordinator per day)."""

from __future__ import annotations

import datetime as dt

from prefect import task

from flows.retrying import TASK_RETRIES
from models.db import session_scope
from notifiers.templates import digest_payload, language_of, render_digest
from yinhui.playbook_loader import current_playbook
from yinhui.services.digests import collect_digests
from yinhui.services.outbox import enqueue, existing_keys
from yinhui.settings import get_settings


def digest_key(day: dt.date, coordinator_id: int) -> str:
    return f"digest:{day.isoformat()}:{coordinator_id}"


def write_digests(day: dt.date) -> int:
    """Queue today's digest for every coordinator with live tasks who has none yet; returns how many."""
    playbook = current_playbook()
    default_language = get_settings().language
    written = 0
    with session_scope() as session:
        digests = collect_digests(
            session, day=day, horizon_days=playbook.digest.horizon_days, max_items=playbook.digest.max_items
        )
        done = existing_keys(session, [digest_key(day, d.coordinator_id) for d in digests])
        for digest in digests:
            key = digest_key(day, digest.coordinator_id)
            if key in done:
                continue
            language = language_of(digest.language, default_language)
            subject, body = render_digest(digest, language=language, horizon_days=playbook.digest.horizon_days)
            written += enqueue(
                session,
                dedupe_key=key,
                recipient_id=digest.coordinator_id,
                channel=digest.channel,
                kind="digest",
                subject=subject,
                body=body,
                payload=digest_payload(digest, language=language, horizon_days=playbook.digest.horizon_days),
            )
        # Grid group chats get their counts-only notice with the same morning run.
        from notifiers.telegram_render import render_grid_notice
        from yinhui.services.grid_notices import queue_grid_notices

        queue_grid_notices(session, day, render=render_grid_notice, default_language=default_language)
    return written


@task(name="write-digests · 生成每日提醒", **TASK_RETRIES)
def write_digests_task(day: dt.date) -> int:
    return write_digests(day)

