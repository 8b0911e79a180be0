"""Keeping link tokens out of logs and the audit trail, and refusals to one line each."""

import logging
import re

# The public pages reached by a private link carry the link's token as the first
# path segment after one of these prefixes: /intake/<token>/..., /check-in/<token>/...
# The token opens a patient's questionnaire, so it never reaches a log, the audit
# trail or a backup. A test checks that every URL with a <token> is listed here.
TOKEN_PATH_PREFIXES = ("intake", "check-in")
# Pages under those prefixes that carry no token.
TOKENLESS_SEGMENTS = ("start",)

_TOKEN_IN_PATH = re.compile(
    # A path that starts with the prefix: at the start, after a space, quote or
    # bracket (a log line), or after a host (a full link); not /admin/intake/...
    r"(^|[\s\"'(=,]|//[^/\s\"']+)"
    r"(/(?:{prefixes})/)(?!(?:{tokenless})(?:/|$|[\s?\"']))[^/\s?\"']+".format(
        prefixes="|".join(map(re.escape, TOKEN_PATH_PREFIXES)),
        tokenless="|".join(map(re.escape, TOKENLESS_SEGMENTS)),
    )
)


def redact(text: str) -> str:
    """`text` with the token of every link path in it replaced by "[token]"."""
    return _TOKEN_IN_PATH.sub(r"\1\2[token]", text)


class RedactIntakeTokens(logging.Filter):
    """Replace link tokens in log messages (Django's request and server logs)."""

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


# The request attribute saying why a request was refused, set by whatever refused
# it (a PermissionDenied, the CSRF failure view) for the one log line.
REFUSAL_REASON = "acuclinic_refusal_reason"


class DropDjangosRefusalLines(logging.Filter):
    """Django logs a 403 with the whole traceback of the PermissionDenied (and CSRF
    refusals on a logger of their own). The app logs each refusal as one line
    instead (audit.middleware), with the user and the reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != 403
