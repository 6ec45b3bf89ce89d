"""The notifiers of the ``alerts:`` section: where alert events are sent, and how persistently."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Severity = Literal["page", "ticket", "info"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def _url_or_secret(value: str) -> str:
    if not value.startswith(("http://", "https://", "env:")):
        raise ValueError("must be an http(s):// URL or a secret reference like 'env:SLACK_WEBHOOK'")
    return value


class RetrySettings(_Model):
    max_attempts: int = Field(5, ge=1, le=20)
    """Attempts per notification, the first included; then it is counted as failed."""
    base_delay_s: float = Field(1.0, ge=0)
    """First backoff ceiling; doubles each retry (full jitter draws in [0, ceiling])."""
    max_delay_s: float = Field(60.0, ge=0)
    """Largest backoff ceiling."""
    timeout_s: float = Field(5.0, gt=0)
    """Longest one attempt may take."""


class _NotifierBase(_Model):
    queue_size: int = Field(1000, ge=1)
    """Notifications waiting for this notifier; when full the oldest is dropped and counted."""
    min_severity: Severity = "info"
    """Only events of this severity or higher (``page`` > ``ticket`` > ``info``)."""


class WebhookNotifier(_NotifierBase):
    kind: Literal["webhook"]
    """POST each alert event as JSON."""
    url: str
    """Where to POST: an ``http(s)://`` URL or a secret reference ``env:NAME``."""
    headers: dict[str, str] = {}
    """Extra headers; values may be ``env:NAME`` references (e.g. an ``Authorization`` token)."""
    retry: RetrySettings = RetrySettings()
    """Retries with backoff on 5xx, 429, timeouts and connection errors."""

    @model_validator(mode="after")
    def _url(self) -> WebhookNotifier:
        _url_or_secret(self.url)
        return self


class SlackNotifier(_NotifierBase):
    kind: Literal["slack"]
    """POST ``{"text": ...}`` (with Block Kit blocks) to a Slack-compatible incoming webhook."""
    url: str
    """The incoming-webhook URL, normally a secret reference ``env:SLACK_WEBHOOK_URL``."""
    blocks: bool = True
    """Add Block Kit blocks (a header, the figures and the runbook link) to the text."""
    retry: RetrySettings = RetrySettings()
    """Retries with backoff on 5xx, 429, timeouts and connection errors."""

    @model_validator(mode="after")
    def _url(self) -> SlackNotifier:
        _url_or_secret(self.url)
        return self


class LogNotifier(_NotifierBase):
    kind: Literal["log"]
    """Write each event to the ``seawall.alerts`` log (WARNING when firing, INFO when resolved)."""


NotifierConfig = Annotated[
    WebhookNotifier | SlackNotifier | LogNotifier, Field(discriminator="kind")
]
