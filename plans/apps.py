from django.apps import AppConfig


class PlansConfig(AppConfig):
    """Treatment plans and their visit cadence."""

    name = "plans"
    verbose_name = "Treatment plans"

    def ready(self):
        from plans.checkin_triggers import check_in_after_session
        from plans.services import plan_session_signed
        from sessions.signals import session_signed

        def counted(sender, session, user, **kwargs):
            plan = plan_session_signed(session=session, user=user)
            # Every few sessions counted, the plan asks the patient for a check-in.
            check_in_after_session(session=session, plan=plan)

        # Signing a session updates its plan: the one need of a lower app (sessions)
        # that an upper one (plans) answers, by a signal (CONTRIBUTING.md, "Layers").
        session_signed.connect(counted, weak=False, dispatch_uid="plans_count_signed_session")
