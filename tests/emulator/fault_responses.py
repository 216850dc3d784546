"""Answers the fault emulator gives instead of moto's: AWS errors and lost connections.

A fault that refuses a call has to be answered exactly as the real service would answer it,
so that the SDK's error parsing and retry classification (throttling, transient 5xx,
NotFound) see what they see on AWS: the error document differs per protocol (EC2's
``<Response><Errors>``, the other query services' ``<ErrorResponse>`` with the service's
xmlns, JSON's ``__type``). This module builds those (``error_response``, throttling and
server errors), captures moto's own answer as a ``Response`` so it can be inspected or
rewritten, and closes a connection without a response byte (``drop_connection``,
``lose_response``). The wording is documented under "Faults" in ``launcher.py``'s docstring.
"""

from __future__ import annotations

import json
import socket
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Callable, Iterable, NoReturn

from fault_calls import Call

@dataclass
class Response:
    status: str  # "200 OK"
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status.startswith("2")

    def with_body(self, body: bytes) -> Response:
        headers = [(k, v) for k, v in self.headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        return Response(self.status, headers, body)


def status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase}"


def call_app(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> Response:
    """Runs the inner WSGI app to completion and keeps its whole answer."""
    started: dict[str, Any] = {}
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started["status"], started["headers"] = status, list(headers)
        return chunks.append

    iterable = app(environ, start_response)
    try:
        chunks.extend(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    return Response(started["status"], started["headers"], b"".join(chunks))


def json_response(status: int, document: Any) -> Response:
    body = json.dumps(document, indent=2).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    return Response(status_line(status), headers, body)


# xmlns of the query-protocol services' error documents (botocore's "xmlNamespace").
QUERY_NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "rds": "http://rds.amazonaws.com/doc/2014-10-31/",
    "elasticache": "http://elasticache.amazonaws.com/doc/2015-02-02/",
    "elasticloadbalancing": "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
    "monitoring": "http://monitoring.amazonaws.com/doc/2010-08-01/",
    "route53": "https://route53.amazonaws.com/doc/2013-04-01/",
    "cloudfront": "http://cloudfront.amazonaws.com/doc/2020-05-31/",
}


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error_response(
    call: Call, status: int, code: str, message: str, sender: bool = True
) -> Response:
    """The AWS error ``code`` in the call's protocol, as the service itself words it."""
    request_id = str(uuid.uuid4())
    headers = [("x-amzn-RequestId", request_id)]
    if call.protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers += [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    elif call.protocol == "s3":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
            f"<Code>{code}</Code><Message>{xml_escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
        headers.append(("Content-Type", "application/xml"))
    elif call.protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{code}</Code><Message>{xml_escape(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers.append(("Content-Type", "text/xml;charset=UTF-8"))
    else:
        # The query protocols' shape, which Route 53 and CloudFront (REST) answer with too.
        version = call.param("Version") or ""
        namespace = QUERY_NAMESPACES.get(
            call.service, f"https://{call.service}.amazonaws.com/doc/{version}/"
        )
        body = (
            f'<ErrorResponse xmlns="{namespace}"><Error><Type>{"Sender" if sender else "Receiver"}'
            f"</Type><Code>{code}</Code><Message>{xml_escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    headers.append(("Content-Length", str(len(body))))
    return Response(status_line(status), headers, body)


def throttling_error(call: Call) -> Response:
    if call.protocol == "s3":
        return error_response(call, 503, "SlowDown", "Please reduce your request rate.")
    if call.protocol == "ec2":
        return error_response(call, 503, "RequestLimitExceeded", "Request limit exceeded.")
    if call.protocol == "json":
        return error_response(call, 400, "ThrottlingException", "Rate exceeded")
    return error_response(call, 400, "Throttling", "Rate exceeded")


SERVER_ERRORS = {  # (protocol, status) -> (code, message)
    ("ec2", 500): ("InternalError", "An internal error has occurred"),
    ("ec2", 503): ("Unavailable", "The server is overloaded and can't handle the request."),
    ("query", 500): (
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
    ),
    ("query", 503): (
        "ServiceUnavailable",
        "The request has failed due to a temporary failure of the server.",
    ),
    ("s3", 500): ("InternalError", "We encountered an internal error. Please try again."),
    ("s3", 503): ("ServiceUnavailable", "Please reduce your request rate."),
    ("rest-xml", 500): ("InternalError", "An internal error occurred."),
    ("rest-xml", 503): ("ServiceUnavailable", "The service is unavailable. Try again later."),
    ("json", 500): (
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
    ),
    ("json", 503): (
        "ServiceUnavailableException",
        "The request has failed due to a temporary failure of the server.",
    ),
}


def server_error(call: Call, status: int) -> Response:
    code, message = SERVER_ERRORS[(call.protocol, status)]
    return error_response(call, status, code, message, sender=False)


def close_connection(environ: dict[str, Any]) -> NoReturn:
    """Closes the client's connection without a response byte, then tells werkzeug the
    connection is gone (it handles ConnectionError as a dropped connection: no response, no
    traceback)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
    raise ConnectionAbortedError("macroctl fault emulator: connection closed on purpose")
