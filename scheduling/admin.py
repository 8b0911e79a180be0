from django.contrib import admin

from accounts.selectors import practitioners
from scheduling.models import Closure, OpeningHours, PractitionerHours


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    """When the clinic is open, weekday by weekday; a weekday with no row is closed.
    Bookings and the schedule follow these at once."""

    list_display = ["weekday", "starts", "ends"]
    list_filter = ["weekday"]
    fields = ["weekday", "starts", "ends"]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    """Days the clinic is closed whatever its opening hours: holidays. Visits already
    booked then stay booked (and show on the schedule): cancel them one by one."""

    list_display = ["first_day", "last_day", "reason"]
    date_hierarchy = "first_day"
    search_fields = ["reason"]
    fields = ["first_day", "last_day", "reason"]


@admin.register(PractitionerHours)
class PractitionerHoursAdmin(admin.ModelAdmin):
    """When each practitioner works. A practitioner with no rows works the clinic's
    opening hours; one with rows is booked only within them."""

    list_display = ["practitioner", "weekday", "starts", "ends"]
    list_filter = ["weekday"]
    search_fields = ["practitioner__first_name", "practitioner__last_name"]
    list_select_related = ["practitioner"]
    fields = ["practitioner", "weekday", "starts", "ends"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "practitioner":
            kwargs["queryset"] = practitioners()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
