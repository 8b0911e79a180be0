"""Giving roles (groups, by name) their permissions, from any app's data migrations."""


def grant_role_permissions(apps, role_permissions: dict[str, list[str]]) -> None:
    """Give each role (created if missing) the listed "app_label.codename" permissions.

    For data migrations. Permissions are normally created after migrate finishes;
    they are created here first, so a fresh database can be given them.
    """
    from django.contrib.auth.management import create_permissions

    for label in {dotted.split(".")[0] for codes in role_permissions.values() for dotted in codes}:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in role_permissions.items():
        group, _ = Group.objects.get_or_create(name=role)
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def revoke_role_permissions(apps, role_permissions: dict[str, list[str]]) -> None:
    """Undo grant_role_permissions (the roles themselves stay)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in role_permissions.items():
        group = Group.objects.filter(name=role).first()
        if group is None:
            continue
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )


def grant_operation(role_permissions: dict[str, list[str]]):
    """A migration operation that grants the permissions (and revokes them backwards)."""
    from django.db import migrations

    return migrations.RunPython(
        lambda apps, schema_editor: grant_role_permissions(apps, role_permissions),
        lambda apps, schema_editor: revoke_role_permissions(apps, role_permissions),
    )
