import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from accounts.roles import ALL_ROLES


class User(AbstractUser):
    """A member of the clinic's staff. Patients have no accounts."""

    # Set when a clinic admin set this user's password or removed their second
    # factor (accounts.services.credentials_reset): at the next login the user
    # enrols a new authenticator, then chooses a new password.
    must_reset_credentials = models.BooleanField(
        "must set up their login again",
        default=False,
        help_text=(
            "Set when an admin set this user's password or removed their second factor: "
            "at the next login they set up two-factor login and choose a new password."
        ),
    )
    # Raised to end every session the user has (see _get_session_auth_hash).
    credentials_version = models.PositiveIntegerField(default=0)

    def __str__(self):
        return self.get_full_name() or self.username

    def _get_session_auth_hash(self, secret=None):
        # Django ties a session to the password's hash: a new password ends the
        # user's other sessions. The credentials version does the same when the
        # password stays but the second factor was taken away. At version 0 the
        # hash is Django's own, so no session ended when the version came in.
        if not self.credentials_version:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "acuclinic.User.get_session_auth_hash",
            f"{self.password}:{self.credentials_version}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def role_names(self) -> list[str]:
        """The user's roles, in the order of ALL_ROLES (uses the prefetched groups if any)."""
        names = {group.name for group in self.groups.all()}
        return [role for role in ALL_ROLES if role in names]


class PractitionerProfile(models.Model):
    """Licensing details of an acupuncturist: only a current licence may sign notes."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="practitioner_profile")
    licence_number = models.CharField(max_length=50)
    licensing_body = models.CharField(
        max_length=200, help_text="e.g. the state or national acupuncture board"
    )
    licence_expiry = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["licensing_body", "licence_number"],
                name="acuclinic_practitionerprofile_unique_licence",
            )
        ]

    def __str__(self):
        return f"{self.user} ({self.licensing_body} {self.licence_number})"

    @property
    def licence_is_current(self) -> bool:
        return self.licence_expiry >= timezone.localdate()


def hash_backup_code(code: str, *, salt: str, iterations: int) -> str:
    """A backup code's stored form (spaces, dashes and case as typed do not count)."""
    typed = "".join(code.split()).replace("-", "").lower()
    return hashlib.pbkdf2_hmac("sha256", typed.encode(), salt.encode(), iterations).hex()


class BackupCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A user's one-time backup codes, kept only as salted hashes.

    django-otp's own static device keeps its codes in clear, so whoever reads the
    table or a backup could log in as the user. Here a code typed at login is
    hashed with the device's salt (PBKDF2, once per attempt) and compared with the
    stored hashes; a used code is deleted. Wrong codes are throttled as for the
    authenticator app.
    """

    salt = models.CharField(max_length=64)
    iterations = models.PositiveIntegerField()

    # A code is 10 characters of base32 (50 bits of chance): with a salt per
    # device and PBKDF2, a copied table cannot be turned back into codes in any
    # useful time, and ten codes are still hashed in a fraction of a second.
    CODE_LENGTH = 10
    CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
    ITERATIONS = 20_000

    class Meta(Device.Meta):
        verbose_name = "backup codes"
        verbose_name_plural = "backup codes"

    def __str__(self):
        return f"Backup codes of {self.user}"

    @classmethod
    def new_code(cls) -> str:
        return "".join(secrets.choice(cls.CODE_ALPHABET) for _ in range(cls.CODE_LENGTH))

    def hash_code(self, code: str) -> str:
        return hash_backup_code(code, salt=self.salt, iterations=self.iterations)

    def get_throttle_factor(self):
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        typed = self.hash_code(str(token))
        match = next(
            (code for code in self.codes.all() if hmac.compare_digest(code.code_hash, typed)),
            None,
        )
        if match is None:
            self.throttle_increment()
            return False
        match.delete()
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True


class BackupCode(models.Model):
    """One unused backup code, as its hash."""

    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)

    def __str__(self):
        return f"Backup code of {self.device.user}"
