from django.contrib.auth import views as auth_views

from accounts.services import credentials_renewed


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change; after an admin's reset it gives the account back."""

    def form_valid(self, form):
        response = super().form_valid(form)
        credentials_renewed(user=self.request.user)
        return response
