"""The Slack incoming-webhook body of an alert event: ``text`` always, Block Kit blocks optionally.

``text`` alone carries the whole message, so Slack-compatible receivers that ignore blocks
(Mattermost, Rocket.Chat, Discord's ``/slack`` endpoint) still show everything.
"""

from __future__ import annotations

from typing import Any

from seawall.alerts.events import AlertEvent

_MAX_FIELDS = 10  # Slack's limit of fields in one section block
_ICON = {"firing": ":rotating_light:", "resolved": ":white_check_mark:"}


def _link(url: str) -> str:
    # A relative runbook path is not a link Slack can open; show it as text.
    return f"<{url}|runbook>" if url.startswith(("http://", "https://")) else f"runbook: {url}"


def slack_text(event: AlertEvent) -> str:
    """The one-message summary, e.g. ``:rotating_light: FIRING error-rate [page] model=chat: …``."""
    labels = " ".join(f"{k}={v}" for k, v in sorted(event.labels.items()))
    test = "TEST " if event.test else ""
    return (
        f"{_ICON[event.status]} {test}{event.status.upper()} {event.rule} [{event.severity}] "
        f"{labels}: {event.summary} ({_link(event.runbook_url)})"
    )


def _figure(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"


def slack_payload(event: AlertEvent, *, blocks: bool = True) -> dict[str, Any]:
    """The JSON body to POST to the webhook."""
    body: dict[str, Any] = {"text": slack_text(event)}
    if not blocks:
        return body
    fields = [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in sorted(event.labels.items())]
    fields += [{"type": "mrkdwn", "text": f"*{k}*\n{_figure(v)}"} for k, v in event.figures.items()]
    title = f"{'TEST ' if event.test else ''}{event.status.upper()}: {event.rule}"
    body["blocks"] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": event.summary[:3000]}},
        *([{"type": "section", "fields": fields[:_MAX_FIELDS]}] if fields else []),
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"severity *{event.severity}* · {_link(event.runbook_url)}",
                }
            ],
        },
    ]
    return body
