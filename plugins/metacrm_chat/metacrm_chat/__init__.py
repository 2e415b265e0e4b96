"""The ``chat.notify`` workflow action: post a Slack-style message ``{"text": …}`` to a URL.

    - type: chat.notify
      url: https://hooks.slack.com/services/T000/B000/XXXX
      text: 'Won: {{ record.name }} ({{ record.amount }})'

Delivered through the outbox (retries, Idempotency-Key); ``text`` is a template like an
email's subject.
"""

from __future__ import annotations

import requests

from metacrm.automation import IDEMPOTENCY_HEADER, OUTBOX, ActionType
from metacrm.automation.render import render_template
from metacrm.plugins import hookimpl


class ChatNotify(ActionType):
    name = "chat.notify"
    phase = OUTBOX

    def check(self, params):
        problems = []
        url = params.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            problems.append(("url", "chat.notify needs an http(s) url"))
        if not isinstance(params.get("text"), str) or not params.get("text"):
            problems.append(("text", "chat.notify needs a text"))
        for key in params:
            if key not in ("url", "text", "description"):
                problems.append((key, f"unknown key '{key}' (chat.notify takes url and text)"))
        return problems

    def prepare(self, run, params):
        return {"url": params["url"], "text": render_template(params["text"], run.view())}

    def deliver(self, payload, delivery):
        response = requests.post(payload["url"], json={"text": payload["text"]},
                                 headers={IDEMPOTENCY_HEADER: delivery.key},
                                 timeout=delivery.settings.webhook_timeout)
        if response.status_code >= 300:
            raise RuntimeError(f"chat answered {response.status_code}")


@hookimpl
def register_actions():
    return [ChatNotify()]
