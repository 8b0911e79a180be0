from django.apps import AppConfig


class PlansConfig(AppConfig):
    """Treatment plans and their visit cadence."""

    name = "plans"
    verbose_name = "Treatment plans"

    def ready(self):
        from plans.services import plan_session_signed
        from sessions.signals import session_signed

        # Signing a session updates its plan: the one need of a lower app (sessions)
        # that an upper one (plans) answers, by a signal (CONTRIBUTING.md, "Layers").
        session_signed.connect(
            lambda sender, session, user, **kwargs: plan_session_signed(session=session, user=user),
            weak=False,
            dispatch_uid="plans_count_signed_session",
        )
