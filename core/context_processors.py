from django.conf import settings


def clinic(request):
    """The clinic's name and phone number, for pages that patients read."""
    return {"clinic_name": settings.CLINIC_NAME, "clinic_phone": settings.CLINIC_PHONE}
