import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts import roles

pytestmark = pytest.mark.django_db


def _permissions(role):
    group = Group.objects.get(name=role)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_migration_creates_the_three_roles():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)


def test_front_desk_manages_demographics_but_never_sees_clinical_records():
    permissions = _permissions(roles.FRONT_DESK)
    assert {"intake.view_patient", "intake.add_patient", "intake.change_patient"} <= permissions
    assert "intake.view_clinical_record" not in permissions


def test_acupuncturist_reads_clinical_records_but_does_not_register_patients():
    permissions = _permissions(roles.ACUPUNCTURIST)
    assert "intake.view_clinical_record" in permissions
    assert "intake.add_patient" not in permissions


def test_clinic_admin_manages_staff_accounts():
    permissions = _permissions(roles.CLINIC_ADMIN)
    assert {"acuclinic.add_user", "acuclinic.change_practitionerprofile"} <= permissions


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_no_role_may_delete_a_patient(role):
    assert "intake.delete_patient" not in _permissions(role)


def test_users_are_the_custom_staff_model():
    assert get_user_model()._meta.label == "acuclinic.User"


def test_treatment_sessions_app_does_not_clash_with_django_sessions():
    config = apps.get_app_config("treatment_sessions")
    assert config.name == "sessions"
    assert apps.get_app_config("sessions").name == "django.contrib.sessions"


def test_role_names_lists_the_users_roles(front_desk, no_role_user):
    assert front_desk.role_names == [roles.FRONT_DESK]
    assert no_role_user.role_names == []
