from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Staff identity: the user model, roles, practitioner profiles, two-factor login.

    The app label stays "acuclinic", the label these models were created under when
    they lived in the project package: existing databases keep their tables, their
    recorded migrations and their permissions (acuclinic.add_user, ...), and
    AUTH_USER_MODEL stays "acuclinic.User". Changing a custom user model's app label
    on a live database is a migration Django does not support.
    """

    name = "accounts"
    label = "acuclinic"
    verbose_name = "Clinic staff"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from accounts.auth import start_session

        user_logged_in.connect(start_session, dispatch_uid="acuclinic_start_session")
