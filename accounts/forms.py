from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """Django's login form, with the username's length actually checked.

    Django sets the username's max_length after building the field, so no
    validator runs; an over-long name would reach authenticate() and the lockout
    records (255 characters), which PostgreSQL refuses.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))
