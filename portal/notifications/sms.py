"""Text messages behind a small interface, so that a real provider (an SMS gateway of a telecom or a
government messaging service) is one class and one config value (SMS_PROVIDER) away.

A provider's send() returns when the provider accepted the message, and raises ProviderDown when it could
not be reached at all (the outbox then stops sending SMS for this pass and tries again later) or any other
exception for a problem with this one message (it is tried again, with backoff, up to NOTIFY_MAX_ATTEMPTS).
"""
import logging
from typing import Protocol

log = logging.getLogger("portal.sms")


class ProviderDown(Exception):
    """The provider could not be reached: nothing was sent."""


class Provider(Protocol):
    name: str

    def send(self, to: str, text: str) -> None: ...


class ConsoleProvider:
    """Development and tests: the message is written to the log (logger "portal.sms") and counts as sent."""
    name = "console"

    def send(self, to: str, text: str) -> None:
        log.info("SMS to %s: %s", to, text)


PROVIDERS: dict[str, type] = {"console": ConsoleProvider}


def provider_for(name: str | None) -> Provider:
    """The provider of config SMS_PROVIDER ("console" when empty); an unknown name is a configuration error,
    reported on the message (it stays in the outbox and is retried) rather than raised at start."""
    key = (name or "console").strip().lower()
    if key not in PROVIDERS:
        raise ProviderDown(f"unknown SMS_PROVIDER {name!r}; known: {', '.join(sorted(PROVIDERS))}")
    return PROVIDERS[key]()
