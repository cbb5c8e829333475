"""Where the Telegram channel and the bot find the bot token and the Bot API address (yinhui.settings)."""

from __future__ import annotations

import os

from notifiers.base import NotifyError


def resolve_token() -> str:
    """The bot token: YINHUI_TELEGRAM_TOKEN, else the Prefect Secret block named by
    YINHUI_TELEGRAM_TOKEN_BLOCK (default `yinhui-telegram-token`). Never from the repository."""
    from yinhui.settings import get_settings

    settings = get_settings()
    if settings.telegram_token is not None:
        return settings.telegram_token.get_secret_value().strip()
    block = settings.telegram_token_block
    if "telegram_token_block" not in settings.model_fields_set and not _prefect_api_configured():
        # Without a Prefect server there is no block to read; starting a temporary one to find
        # out would cost seconds and still fail.
        raise NotifyError(
            f"no Telegram token: set YINHUI_TELEGRAM_TOKEN, or save a Prefect Secret block {block!r} "
            f"on your Prefect server (PREFECT_API_URL) or name one in YINHUI_TELEGRAM_TOKEN_BLOCK",
            permanent=False,
        )
    try:
        from prefect.blocks.system import Secret

        value = Secret.load(block, _sync=True).get()  # type: ignore[call-arg,union-attr]
    except Exception:  # no Prefect API, no such block: both mean "not configured"
        raise NotifyError(
            f"no Telegram token: set YINHUI_TELEGRAM_TOKEN or create a Prefect Secret block named {block!r}",
            permanent=False,
        ) from None
    return str(value).strip()


def _prefect_api_configured() -> bool:
    if os.environ.get("PREFECT_API_URL"):
        return True
    try:
        from prefect.settings import PREFECT_API_URL

        return bool(PREFECT_API_URL.value())
    except Exception:  # Prefect not importable or not configured
        return False


def api_base_url() -> str:
    from yinhui.settings import get_settings

    return get_settings().telegram_api_url


def webhook_secret() -> str | None:
    """The secret Telegram echoes on every webhook call, if the operator set one."""
    from yinhui.settings import get_settings

    return get_settings().telegram_webhook_secret
