"""Sending one outbox row: e-mail by SMTP (Flask-Mailman), or written to the log when MAIL_SERVER is not
set; SMS through the provider of SMS_PROVIDER (sms.py).

A Transport lives for one delivery pass and keeps one SMTP connection open across its e-mails. Errors say
what they mean for the outbox:
- ChannelDown: the server or provider could not be reached, or the connection broke; nothing was sent and
  the pass stops using that channel (the rows stay queued with backoff: an outage loses nothing);
- PermanentFailure: the server refused this message for good (5xx for every recipient): no retry;
- any other exception: this message failed; it is tried again with backoff.
"""
import logging
import smtplib
from email.utils import parseaddr

from flask import current_app
from flask_mailman import EmailMessage

from portal.platform.extensions import mail

from . import sms
from .models import Channel, OutboxMessage

mail_log = logging.getLogger("portal.mail")


class ChannelDown(Exception):
    def __init__(self, channel: str, error: Exception | str):
        super().__init__(f"{channel}: {error}")
        self.channel = channel
        self.error = error


class PermanentFailure(Exception):
    """The server refused this message for good; retrying would not help."""


# Answers about one message on a working connection; any other OSError means the connection is gone.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused,
                  smtplib.SMTPNotSupportedError)


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def message_id(message: OutboxMessage, sender: str) -> str:
    """The same Message-ID on every try of one row, so a copy that got through twice (a worker lost after
    the server accepted it) is recognisable as one message."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "portal.invalid"
    return f"<outbox.{message.id}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"


class Transport:
    def __init__(self):
        self.config = current_app.config
        self._smtp = None
        self._sms = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._smtp is not None:
            try:
                self._smtp.close()
            except OSError:   # the server went away; the connection is dropped either way
                pass
            self._smtp = None

    def send(self, message: OutboxMessage) -> None:
        if message.channel == Channel.EMAIL:
            self._send_email(message)
        elif message.channel == Channel.SMS:
            self._send_sms(message)
        else:
            raise PermanentFailure(f"unknown channel {message.channel!r}")

    # --- e-mail -----------------------------------------------------------------------------------

    def _connection(self):
        if self._smtp is None:
            c = self.config
            connection = mail.get_connection(
                backend="smtp", host=c["MAIL_SERVER"], port=int(c.get("MAIL_PORT") or 25),
                username=c.get("MAIL_USERNAME") or "", password=c.get("MAIL_PASSWORD") or "",
                use_tls=bool(c.get("MAIL_USE_TLS")), use_ssl=bool(c.get("MAIL_USE_SSL")),
                timeout=c.get("MAIL_TIMEOUT") or 30)
            try:
                connection.open()
            except OSError as exc:
                raise ChannelDown(Channel.EMAIL, exc) from exc
            self._smtp = connection
        return self._smtp

    def _send_email(self, message: OutboxMessage) -> None:
        sender = self.config.get("MAIL_DEFAULT_SENDER") or "portal@localhost"
        if not self.config.get("MAIL_SERVER"):
            mail_log.info("e-mail (no MAIL_SERVER, not sent) to %s from %s\nSubject: %s\n\n%s",
                          message.address, sender, message.subject, message.body)
            return
        email = EmailMessage(message.subject, message.body, sender, [message.address],
                             headers={"Message-ID": message_id(message, sender), "Auto-Submitted": "auto-generated"})
        connection = self._connection()
        try:
            connection.send_messages([email])
        except MESSAGE_ERRORS as exc:
            if _permanent(exc):
                raise PermanentFailure(f"{type(exc).__name__}: {exc}") from exc
            raise
        except OSError as exc:   # disconnected, reset, timed out: the connection is gone
            self._smtp = None
            try:
                connection.close()
            except OSError:
                pass
            raise ChannelDown(Channel.EMAIL, exc) from exc

    # --- SMS --------------------------------------------------------------------------------------

    def _send_sms(self, message: OutboxMessage) -> None:
        try:
            if self._sms is None:
                self._sms = sms.provider_for(self.config.get("SMS_PROVIDER"))
            self._sms.send(message.address, message.body)
        except sms.ProviderDown as exc:
            raise ChannelDown(Channel.SMS, exc) from exc
