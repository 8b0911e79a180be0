import logging

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from acuclinic.models import PractitionerProfile

logger = logging.getLogger(__name__)


@login_required
def dashboard(request):
    profile = PractitionerProfile.objects.filter(user=request.user).first()
    return render(
        request,
        "acuclinic/dashboard.html",
        {"roles": request.user.role_names, "practitioner_profile": profile},
    )


@never_cache
@require_safe
def healthz(request):
    """Liveness and readiness for load balancers: the app answers and its database too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
