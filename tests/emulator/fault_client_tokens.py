"""Client tokens: a retried create answers what the first one did.

AWS makes an EC2 create with ``ClientToken`` and an ECS CreateService or RunTask with
``clientToken`` idempotent, so that a create whose response was lost can be retried safely.
moto ignores these tokens and would create twice. This module says which calls carry a
token and what else they ask (``client_token``, ``fingerprint``) and keeps the first
successful answer per token (``ClientTokens``); the middleware replays it. Always on, not a
fault; documented under "Client tokens" in ``launcher.py``'s docstring.
"""

from __future__ import annotations

import json
import threading

from fault_calls import Call
from fault_responses import Response

IDEMPOTENT_MISMATCH = (
    "Arguments on this idempotent request are inconsistent with arguments used in previous "
    "request(s)."
)


def client_token(call: Call) -> tuple[str, str] | None:
    """(parameter, token) of a call AWS makes idempotent with a client token that moto
    ignores. moto already honours Secrets Manager's CreateSecret ClientRequestToken."""
    if call.service == "ec2":
        parameter = "ClientToken"
    elif call.service == "ecs" and call.action in ("CreateService", "RunTask"):
        parameter = "clientToken"
    else:
        return None
    token = call.param(parameter)
    return (parameter, token) if token else None


def fingerprint(call: Call, parameter: str) -> str:
    """The call's parameters but the token, in a canonical form."""
    if call.protocol == "json":
        document = {k: v for k, v in call.document.items() if k != parameter}
        return json.dumps(document, sort_keys=True)
    return json.dumps(sorted((k, v) for k, v in call.form if k != parameter))


class ClientTokens:
    """First successful responses per (account, region, service, action, token)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # held across a token call, so a duplicate waits for it
        self.answers: dict[tuple[str, ...], tuple[str, Response]] = {}

    def forget(self) -> None:
        self.answers.clear()
