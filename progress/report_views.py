"""(being written)"""
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404
report_pdf_view = _todo
