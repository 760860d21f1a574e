"""Which channels an alert goes out on, in order: the provider's choice, then email as the
fallback, or the console outbox when no real channel can reach the provider."""

from __future__ import annotations

from notifications.settings import AlertSettings
from tracker.store.tables import ProviderRow

CHANNELS: tuple[str, ...] = ("sms", "email", "console")


def channel_plan(provider: ProviderRow, settings: AlertSettings) -> list[str]:
    reachable = {
        "sms": settings.sms_configured and bool(provider.phone),
        "email": settings.email_configured and bool(provider.email),
        "console": True,
    }
    plan = [c for c in provider.alert_channels or [] if c in reachable and reachable[c]]
    if reachable["email"] and "email" not in plan:
        plan.append("email")  # the fallback when a text cannot be delivered
    return plan or ["console"]


def billing_plan(settings: AlertSettings) -> list[str]:
    """An alert for the billing office (PAINAUTH_ALERT_BILLING_PHONE / _EMAIL): text, then email,
    whichever can reach it, or the console outbox."""
    plan = [channel for channel, reachable in (
        ("sms", settings.sms_configured and bool(settings.alert_billing_phone)),
        ("email", settings.email_configured and bool(settings.alert_billing_email)))
        if reachable]
    return plan or ["console"]


def digest_plan(plan: list[str]) -> list[str]:
    """A digest is long: email first when the provider has it."""
    return sorted(plan, key=lambda c: c != "email")
