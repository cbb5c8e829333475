"""Other channels a Chinese bureau uses — WeCom (企业微信) and DingTalk (钉钉) group robots, e-mail — via Apprise.

Targets are Apprise URLs stored per coordinator or per grid (models.chat.AppriseTarget):
`wecombot://KEY`, `dingtalk://TOKEN` (or `dingtalk://SECRET@TOKEN` for signed robots),
`mailtos://user:password@smtp.example.org?to=someone@example.org`. The dispatch flow reads them
and hands them over with the message. A robot posts into a group chat, so the message goes out
in the plain-text format: names and due dates, never a phone.
"""

from __future__ import annotations

from typing import ClassVar

import apprise

from notifiers.base import Notifier, Outbound, Result
from notifiers.bot.redaction import install_log_redaction
from yinhui.i18n import N_
from yinhui.messages.content import as_text

SCHEMES: dict[str, tuple[str, ...]] = {
    "wecom": ("wecombot",),
    "dingtalk": ("dingtalk",),
    "email": ("mailto", "mailtos"),
}


class TargetError(ValueError):
    """A target URL that cannot be used; the message says why without repeating the URL.

    Like a domain error it keeps its catalogue text and values (``message``, ``values``), so the
    command line words it in the operator's language (``yinhui.i18n.error_text``).
    """

    def __init__(self, message: str, /, **values: object) -> None:
        self.message, self.values = message, values
        super().__init__(message.format(**values) if values else message)


def target_kind(url: str) -> str:
    """The notifier kind an Apprise URL belongs to (wecom, dingtalk or email)."""
    scheme = url.strip().split("://", 1)[0].lower() if "://" in url else ""
    for kind, schemes in SCHEMES.items():
        if scheme in schemes:
            return kind
    known = ", ".join(f"{s}://" for schemes in SCHEMES.values() for s in schemes)
    raise TargetError(N_("unsupported target URL scheme {scheme!r}; use one of {known}"),
                      scheme=scheme or "(none)", known=known)


def check_target(url: str) -> str:
    """Validate a target URL (offline: Apprise parses it, nothing is sent); returns its kind."""
    kind = target_kind(url)
    if not apprise.Apprise().add(url.strip()):
        raise TargetError(N_("Apprise cannot parse this {kind} URL (a key, token or address is missing or malformed)"),
                          kind=kind)
    return kind


class AppriseNotifier(Notifier):
    """One Apprise-backed channel; subclasses fix the kind and the URL schemes it accepts."""

    kind: ClassVar[str] = "apprise"

    def notify(self, message: Outbound) -> Result:
        nid, urls = message.notification_id, list(message.targets)
        if not urls:
            return Result.refused(nid, f"no {self.kind} target is configured for this recipient")
        install_log_redaction(*urls)
        sender = apprise.Apprise()
        for url in urls:
            if url.split("://", 1)[0].lower() not in SCHEMES.get(self.kind, ()):
                return Result.refused(nid, f"a {self.kind} target holds a URL of another kind")
            if not sender.add(url):
                return Result.refused(nid, f"Apprise cannot use a {self.kind} target URL")
        subject, body = as_text(message.message)
        if not sender.notify(body=body, title=subject):
            return Result.failed(nid, f"{self.kind}: the service did not accept the message")
        return Result.sent(nid, f"{self.kind}:{len(urls)}")


class WeComNotifier(AppriseNotifier):
    """企业微信群机器人."""

    kind: ClassVar[str] = "wecom"


class DingTalkNotifier(AppriseNotifier):
    """钉钉群机器人."""

    kind: ClassVar[str] = "dingtalk"


class EmailNotifier(AppriseNotifier):
    """电子邮件."""

    kind: ClassVar[str] = "email"
