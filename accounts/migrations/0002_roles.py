"""Create the three staff roles as groups with explicit permissions.

Front desk never gets intake.view_clinical_record: they see demographics and
scheduling, never session notes or the clinical answers of an intake.
Nobody gets intake.delete_patient: charts are archived, never deleted.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Front desk": [
        "intake.view_patient",
        "intake.add_patient",
        "intake.change_patient",
        "intake.archive_patient",
    ],
    "Acupuncturist": [
        "intake.view_patient",
        "intake.view_clinical_record",
    ],
    "Clinic admin": [
        "intake.view_patient",
        "intake.add_patient",
        "intake.change_patient",
        "intake.archive_patient",
        "intake.view_clinical_record",
        "acuclinic.view_user",
        "acuclinic.add_user",
        "acuclinic.change_user",
        "acuclinic.view_practitionerprofile",
        "acuclinic.add_practitionerprofile",
        "acuclinic.change_practitionerprofile",
        "auth.view_group",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate finishes; make sure they
    # exist now so the groups can be given them on a fresh database.
    for label in ("auth", "acuclinic", "intake"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permissions.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("acuclinic", "0001_initial"),
        ("intake", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
