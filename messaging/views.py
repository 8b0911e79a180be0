from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from messaging.selectors import OUTBOX_TABS, outbox, outbox_counts


@require_safe
@login_required
@permission_required("messaging.view_message", raise_exception=True)
def message_list(request):
    """The outbox: what was sent, is waiting and failed, newest first. Who, how, what
    kind and when; never the text."""
    tab = request.GET.get("status", "")
    if tab not in OUTBOX_TABS:
        tab = ""
    page = Paginator(outbox(tab), settings.MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "messaging/message_list.html",
        {"page": page, "tab": tab, "counts": outbox_counts()},
    )
