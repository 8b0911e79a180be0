from django.apps import AppConfig


class PlansConfig(AppConfig):
    """Treatment plans and their visit cadence."""

    name = "plans"
    verbose_name = "Treatment plans"
