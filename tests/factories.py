import datetime

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from acuclinic.models import PractitionerProfile, User
from intake.models import Patient

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.example")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """UserFactory(role="Front desk") puts the user in that role's group."""
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class PractitionerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PractitionerProfile

    user = factory.SubFactory(UserFactory, role="Acupuncturist")
    licence_number = factory.Sequence(lambda n: f"AC-{n:05d}")
    licensing_body = "State Acupuncture Board"
    licence_expiry = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=365)
    )


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=90)
    sex = factory.Iterator(["female", "male", "other", "unknown"])
    phone = factory.Sequence(lambda n: f"+1415555{n % 10000:04d}")
    email = factory.LazyAttribute(lambda p: f"{p.first_name}.{p.last_name}@example.com".lower())
    created_by = factory.SubFactory(UserFactory, role="Front desk")
