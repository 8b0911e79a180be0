from django.db import migrations

from core.permissions import grant_operation


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial"), ("acuclinic", "0002_roles")]

    # The outbox page (/messages/): the front desk and the clinic admin.
    operations = [
        grant_operation(
            {
                "Front desk": ["messaging.view_message"],
                "Clinic admin": ["messaging.view_message"],
            }
        )
    ]
