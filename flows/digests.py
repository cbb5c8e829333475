"""Writes each coordinator's digest for the day into the outbox (one per coordinator per day)."""

from __future__ import annotations

import datetime as dt

from prefect import task

from flows.retrying import TASK_RETRIES
from models.db import session_scope
from yinhui.messages.content import as_text
from yinhui.messages.digest import render_digest
from yinhui.messages.texts import language_of
from yinhui.playbook_loader import current_playbook
from yinhui.services.digests import collect_digests, digest_payload
from yinhui.services.grid_notices import queue_grid_notices
from yinhui.services.outbox import enqueue, existing_keys
from yinhui.settings import get_settings


def digest_key(day: dt.date, coordinator_id: int) -> str:
    return f"digest:{day.isoformat()}:{coordinator_id}"


def write_digests(day: dt.date) -> int:
    """Queue today's digest for every coordinator with live tasks who has none yet; returns how many.

    The row keeps the digest's data (its payload) and its plain text; each channel draws it in its
    own format from the same renderer when it is sent.
    """
    playbook = current_playbook()
    default_language = get_settings().language
    horizon = playbook.digest.horizon_days
    written = 0
    with session_scope() as session:
        digests = collect_digests(session, day=day, horizon_days=horizon, max_items=playbook.digest.max_items)
        done = existing_keys(session, [digest_key(day, d.coordinator_id) for d in digests])
        for digest in digests:
            key = digest_key(day, digest.coordinator_id)
            if key in done:
                continue
            payload = digest_payload(digest, language=language_of(digest.language, default_language), horizon_days=horizon)
            subject, body = as_text(render_digest(payload, playbook=playbook))
            written += enqueue(
                session, dedupe_key=key, recipient_id=digest.coordinator_id, channel=digest.channel, kind="digest",
                subject=subject, body=body, payload=payload,
            )
        # Grid group chats get their counts-only notice with the same morning run.
        queue_grid_notices(session, day, default_language=default_language)
    return written


@task(name="write-digests · 生成每日提醒", **TASK_RETRIES)
def write_digests_task(day: dt.date) -> int:
    return write_digests(day)
