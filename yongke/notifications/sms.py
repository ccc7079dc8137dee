"""Text messages: a backend interface like Django's email backends, chosen by a dotted path
(settings.YONGKE_SMS_BACKEND). The console backend writes each message to standard error;
a real gateway is a class with `send_messages` and a settings change, no code change."""

from __future__ import annotations

import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "yongke.notifications.sms.ConsoleBackend"


@dataclass(frozen=True)
class SmsMessage:
    to: str  # a mobile number as registered
    text: str


class BaseSmsBackend(ABC):
    """Send a batch of messages; return how many were sent. Raise on failure unless
    `fail_silently` (then return what was sent)."""

    def __init__(self, *, fail_silently: bool = False, **options: Any) -> None:
        self.fail_silently = fail_silently
        self.options = options

    @abstractmethod
    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        """Send the messages through the gateway; how many were sent."""


class ConsoleBackend(BaseSmsBackend):
    """Writes each message to a stream (standard error by default, so that a `yongke` command's
    standard output stays its JSON): for development and demos."""

    def __init__(self, *, stream: TextIO | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stream = stream
        self._lock = threading.RLock()

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        stream = self.stream or sys.stderr  # looked up when sending, so that a captured stream is honoured
        with self._lock:
            for m in messages:
                stream.write(f"SMS to {m.to}: {m.text}\n{'-' * 40}\n")
            stream.flush()
        return len(messages)


outbox: list[SmsMessage] = []


class LocmemBackend(BaseSmsBackend):
    """Keeps the messages in `yongke.notifications.sms.outbox` (like django.core.mail.outbox)."""

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


def get_backend(path: str | None = None, **kwargs: Any) -> BaseSmsBackend:
    """The configured backend (or the one named by `path`)."""
    cls = import_string(path or getattr(settings, "YONGKE_SMS_BACKEND", "") or DEFAULT_BACKEND)
    return cls(**kwargs)


def send_sms(messages: Sequence[SmsMessage], *, fail_silently: bool = False) -> int:
    if not messages:
        return 0
    return get_backend(fail_silently=fail_silently).send_messages(messages)
