"""Email over SMTP (smtplib), a plain-text body with an HTML alternative.

The Message-ID is derived from the alert's dedupe key, so a message is recognizably the same
alert wherever it lands. Replies 4xx and dropped connections are worth retrying; 5xx are not.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from notifications.channel import CannotTell
from notifications.errors import PermanentFailure, TransientFailure
from notifications.messages import OutgoingMessage


def message_id(reference: str, sender: str) -> str:
    """`<hash-of-the-dedupe-key@sender-domain>`: stable for one alert."""
    domain = sender.rpartition("@")[2] or "painauth.invalid"
    return f"<{hashlib.sha256(reference.encode()).hexdigest()[:40]}@{domain}>"


class SmtpEmail:
    name = "email"

    def __init__(self, host: str, port: int, sender: str, *, user: str | None = None,
                 password: str | None = None, starttls: bool = True, timeout: float = 20.0) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self._password = user, password
        self.starttls, self.timeout = starttls, timeout

    def compose(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = message_id(message.reference, self.sender)
        email["X-Painauth-Alert"] = str(message.alert_id)
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        return email

    def send(self, message: OutgoingMessage) -> str:
        email = self.compose(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user and self._password:
                    smtp.login(self.user, self._password)
                refused = smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as err:
            code = min((c for c, _ in err.recipients.values()), default=550)
            raise _by_code(code, "the mail server refused the recipient") from None
        except smtplib.SMTPResponseException as err:
            raise _by_code(err.smtp_code, "the mail server answered") from None
        except (smtplib.SMTPException, OSError) as err:
            raise TransientFailure(f"the mail server could not be reached ({type(err).__name__})",
                                   None) from None
        if refused:
            code = min(c for c, _ in refused.values())
            raise _by_code(code, "the mail server refused the recipient")
        return str(email["Message-ID"])

    def find_sent(self, message: OutgoingMessage) -> str | None:
        raise CannotTell("SMTP cannot say whether a message was delivered")


def _by_code(code: int, what: str) -> TransientFailure | PermanentFailure:
    detail = f"{what} {code}"
    if 400 <= code < 500:
        return TransientFailure(detail, str(code))
    return PermanentFailure(detail, str(code))
