"""Logging filters that keep secrets out of application logs."""

import logging
import re

# /intake/<token>/...: the token opens a patient's intake, so it never reaches a log.
_INTAKE_TOKEN = re.compile(r"(/intake/)(?!start/)[^/\s?\"]+")


def redact(text: str) -> str:
    return _INTAKE_TOKEN.sub(r"\1[token]", text)


class RedactIntakeTokens(logging.Filter):
    """Replace intake link tokens in log messages (Django's request and server logs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Redact the finished message: a token may come in through the arguments.
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg} {record.args}"
        record.msg = redact(message)
        record.args = ()
        # Django attaches the request; a handler that prints it must not see the token.
        path = getattr(getattr(record, "request", None), "path", "")
        if isinstance(path, str) and redact(path) != path:
            record.request = None
        return True
