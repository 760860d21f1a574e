"""The channels this installation can use, built from the settings: Twilio SMS and SMTP email
when configured, and always the console/file outbox."""

from __future__ import annotations

from collections.abc import Mapping

from notifications.channel import Channel
from notifications.console import ConsoleOutbox
from notifications.settings import AlertSettings
from notifications.sms import TwilioSms
from notifications.smtp_email import SmtpEmail


def channels_from_settings(settings: AlertSettings, *, echo: bool = False) -> Mapping[str, Channel]:
    channels: dict[str, Channel] = {"console": ConsoleOutbox(settings.outbox_folder(), echo=echo)}
    if settings.sms_configured:
        assert settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from
        explicit = settings.twilio_status_callback_url or settings.board_url.startswith("https://")
        channels["sms"] = TwilioSms(
            settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(),
            settings.twilio_from, api_url=settings.twilio_api_url,
            status_callback=settings.status_callback_url() if explicit else None)
    if settings.email_configured:
        assert settings.smtp_host and settings.smtp_from
        channels["email"] = SmtpEmail(
            settings.smtp_host, settings.smtp_port, settings.smtp_from, user=settings.smtp_user,
            password=(settings.smtp_password.get_secret_value() if settings.smtp_password else None),
            starttls=settings.smtp_starttls, timeout=settings.smtp_timeout_seconds)
    return channels
