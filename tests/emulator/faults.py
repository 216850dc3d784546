"""Faults the way real AWS has them, injected in front of moto.

moto answers every request at once, correctly and exactly once. Real AWS does not: responses
get lost after the work is done, connections drop, calls are throttled or fail with 5xx, a
resource just created is not found for a few seconds, a freshly created IAM role cannot be
assumed yet, and client tokens make retried creates idempotent (which moto ignores). macroctl
has to survive all of that, so the tests need an emulator that does it on purpose,
reproducibly. This module is that emulator's front door: a WSGI middleware around moto's
``DomainDispatcherApplication`` (installed by ``launcher.py``), inactive until configured.

It is configured with JSON, at start (``MACROCTL_EMULATOR_FAULTS``) or at run time through
its own endpoint ``/_macroctl/faults`` (POST replaces the configuration, GET shows it with
counters, DELETE clears it); see the "Faults" section of ``launcher.py``'s docstring for the
schema and what each fault does on the wire. Everything is evaluated per request, lazily;
nothing runs in the background.

It also slows every AWS call down by the configured ``latency_ms``, because moto answers in
about a millisecond where AWS takes tens: a client's speed (how many calls it makes, how many
it overlaps) only shows with AWS's latency. The delay is a sleep in the request's own thread
(werkzeug serves each request in one), so concurrent calls wait together, as they do on AWS.
The time of the first AWS call after a configuration is set is kept (``first_request_at``),
so a client's start-up (process start to its first call) can be measured from outside.

Only the middleware and its control endpoint are here; its parts are modules beside it:
``fault_calls`` (which AWS call a request is), ``fault_config`` (the configuration and its
rules), ``fault_responses`` (AWS error answers per protocol, closed connections),
``fault_freshness`` (the NotFound window), ``fault_iam_propagation`` and
``fault_client_tokens``. The names ``launcher.py`` uses (``FaultConfig``, ``ConfigError``,
``parse_config_text``, ``FaultMiddleware``) are all available from here.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Callable, Iterable

from fault_calls import Call, account_of, identify, read_body
from fault_client_tokens import IDEMPOTENT_MISMATCH, ClientTokens, client_token, fingerprint
from fault_config import COUNTED_FAULTS, ConfigError, FaultConfig, RuleBook, parse_config_text
from fault_freshness import Freshness
from fault_iam_propagation import RolePropagation
from fault_responses import (
    Response,
    call_app,
    close_connection,
    error_response,
    json_response,
    server_error,
    throttling_error,
)

__all__ = ["ConfigError", "FaultConfig", "FaultMiddleware", "parse_config_text"]

CONTROL_PATH = "/_macroctl/faults"
CONTROL_PREFIX = "/_macroctl/"
MOTO_API_PREFIX = "/moto-api"


class FaultMiddleware:
    """WSGI middleware in front of moto: answers ``/_macroctl/faults`` itself and puts every
    other signed query/JSON API call through the configured faults (see the module
    docstring). ``on_create_seconds`` gets each new configuration's ``create_seconds``."""

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        config: FaultConfig | None = None,
        create_kinds: Iterable[str] = (),
        on_create_seconds: Callable[[dict[str, float]], None] | None = None,
    ):
        self.app = app
        self.create_kinds = tuple(create_kinds)
        self.on_create_seconds = on_create_seconds
        self.lock = threading.Lock()  # guards everything below but `tokens`
        self.freshness = Freshness()
        self.propagation = RolePropagation()
        self.tokens = ClientTokens()
        self.configure(config or FaultConfig())

    # -- configuration and counters --

    def configure(self, config: FaultConfig) -> None:
        with self.lock:
            self.config = config
            self.rules = RuleBook(config.rules, config.seed)
            self.injected: dict[str, dict[str, int]] = {fault: {} for fault in COUNTED_FAULTS}
            self.replayed: dict[str, int] = {}
            self.requests = 0
            self.first_request_at: float | None = None
            self.freshness.forget_fresh()
            self.propagation.forget()
        if self.on_create_seconds is not None:
            self.on_create_seconds(dict(config.create_seconds))

    def report(self) -> dict[str, Any]:
        with self.lock:
            return {
                "config": self.config.to_json(),
                "injected": {fault: dict(counts) for fault, counts in self.injected.items()},
                "replayed": dict(self.replayed),
                "requests": self.requests,
                "first_request_at": self.first_request_at,
            }

    def count(self, fault: str, call: Call) -> None:
        """Counts an injected fault (caller holds the lock) and logs it."""
        counts = self.injected[fault]
        counts[call.label] = counts.get(call.label, 0) + 1
        sys.stderr.write(f"macroctl faults: {fault} {call.label}\n")
        sys.stderr.flush()

    # -- WSGI --

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.rstrip("/") == CONTROL_PATH:
            response = self.control(environ)
        elif path.startswith(MOTO_API_PREFIX):
            response = self.moto_api(environ)
        else:
            if not path.startswith(CONTROL_PREFIX):
                self.delay()
            body = read_body(environ)
            call = identify(environ, body)
            response = call_app(self.app, environ) if call is None else self.handle(call, environ)
        start_response(response.status, response.headers)
        return [response.body]

    def delay(self) -> None:
        """Notes the first AWS call, then sleeps ``latency_ms`` in this request's thread
        (outside the lock, so concurrent calls overlap)."""
        with self.lock:
            if self.first_request_at is None:
                self.first_request_at = time.time()
            seconds = self.config.latency_ms / 1000.0
        if seconds > 0:
            time.sleep(seconds)

    def control(self, environ: dict[str, Any]) -> Response:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "POST":
            try:
                text = read_body(environ).decode("utf-8", "replace")
                config = parse_config_text(text, self.create_kinds)
            except ConfigError as e:
                return json_response(400, {"error": str(e)})
            self.configure(config)
        elif method == "DELETE":
            self.configure(FaultConfig())
        elif method != "GET":
            return json_response(405, {"error": f"{method}: use GET, POST or DELETE"})
        return json_response(200, self.report())

    def moto_api(self, environ: dict[str, Any]) -> Response:
        """moto's own endpoints pass untouched; after a reset of moto's state, what the
        middleware knows about moto's resources goes too."""
        response = call_app(self.app, environ)
        if environ.get("PATH_INFO", "").rstrip("/") == f"{MOTO_API_PREFIX}/reset":
            with self.lock:
                self.freshness = Freshness()
                self.propagation.forget()
            with self.tokens.lock:
                self.tokens.forget()
        return response

    def handle(self, call: Call, environ: dict[str, Any]) -> Response:
        with self.lock:
            self.requests += 1
            rule = self.rules.pick(call)
            if rule is not None:
                self.count(rule.fault, call)
        fault = rule.fault if rule is not None else None
        if fault == "drop_connection":
            close_connection(environ)
        if fault == "throttle":
            return throttling_error(call)
        if fault == "server_error":
            return server_error(call, rule.status)
        response = self.perform(call, account_of(call, environ), environ)
        if fault == "lose_response":  # done, but the answer never arrives
            close_connection(environ)
        return response

    def perform(self, call: Call, account: str, environ: dict[str, Any]) -> Response:
        """The call as AWS would answer it (client tokens honoured), before any fault."""
        token = client_token(call)
        if token is None:
            return self.perform_consistently(call, account, environ)
        key = (account, call.region, call.service, call.action, token[1])
        with self.tokens.lock:
            remembered = self.tokens.answers.get(key)
            if remembered is None:
                response = self.perform_consistently(call, account, environ)
                if response.ok:
                    self.tokens.answers[key] = (fingerprint(call, token[0]), response)
                return response
        same_parameters, response = remembered[0] == fingerprint(call, token[0]), remembered[1]
        if same_parameters:
            with self.lock:
                self.replayed[call.label] = self.replayed.get(call.label, 0) + 1
            return response
        if call.service == "ec2":
            return error_response(call, 400, "IdempotentParameterMismatch", IDEMPOTENT_MISMATCH)
        return self.perform_consistently(call, account, environ)

    def perform_consistently(self, call: Call, account: str, environ: dict[str, Any]) -> Response:
        """moto's answer, unless the call needs a resource or role AWS cannot see yet."""
        with self.lock:
            refusal = self.propagation.refusal(call)
            fault = "iam_propagation"
            if refusal is None:
                refusal, fault = self.freshness.refusal(call, account), "not_found_window"
            if refusal is not None:
                self.count(fault, call)
                return refusal
        response = call_app(self.app, environ)
        with self.lock:
            config = self.config
            self.freshness.observe(call, account, response, config.not_found_window)
            self.propagation.observe(call, account, response, config.iam_propagation)
            hidden = self.freshness.hide(call, account, response)
            if hidden is not None:
                self.count("not_found_window", call)
        return hidden or response
