from django.utils.functional import SimpleLazyObject

from core.models import Clinic


def clinic(request):
    """The clinic's name and phone number, for pages that patients read. Read from the
    database only on a page that shows them."""
    details = SimpleLazyObject(Clinic.current)
    return {
        "clinic_name": SimpleLazyObject(lambda: details.name),
        "clinic_phone": SimpleLazyObject(lambda: details.phone),
    }
