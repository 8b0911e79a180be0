"""(being written)"""
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404
outcomes_view = _todo
