"""(being written)"""
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404
checkin_create_view = checkin_revoke_view = _todo
