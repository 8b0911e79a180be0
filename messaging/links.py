"""Links made at the moment a message is sent, never stored in the outbox.

Some messages carry a private link (a check-in's): its token opens a patient's
questionnaire, so the queued text holds PLACEHOLDER instead, and the worker asks the
app that owns the link for a fresh one as it sends (messaging.tasks). An app above
messaging registers its maker for a kind in its AppConfig.ready():
`links.register("check_in", make_message_link)`; messaging never imports it.

A maker takes the Message and returns the absolute link, or None when the link is
no longer wanted (the questionnaire was answered or stopped): the message is then
not sent.
"""

from collections.abc import Callable

PLACEHOLDER = "[link]"

_makers: dict[str, Callable] = {}


class LinkGone(Exception):
    """The message's link is no longer wanted: do not send it."""


def register(kind: str, maker: Callable) -> None:
    _makers[kind] = maker


def body_to_send(message) -> str:
    """The message's text with its link, minted now (unchanged for kinds without one)."""
    maker = _makers.get(message.kind)
    if maker is None or PLACEHOLDER not in message.body:
        return message.body
    link = maker(message)
    if link is None:
        raise LinkGone
    return message.body.replace(PLACEHOLDER, link)
