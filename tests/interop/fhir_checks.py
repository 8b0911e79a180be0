"""Checks of the FHIR export against models no one here wrote: fhir.resources' R4B
models (its default models are R5, which would accept R5-only elements)."""

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.reference import Reference
from pydantic import BaseModel


def validate(resource: dict):
    """The resource parsed by its R4B model (raises on anything R4 does not allow)."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def validate_bundle(bundle: dict):
    return Bundle.model_validate(bundle)


def references(model: BaseModel, field_types=None):
    """(reference, the resource types its field allows) for every Reference inside a
    parsed resource."""
    found = []
    if isinstance(model, Reference):
        if model.reference:
            found.append((model.reference, field_types))
    for name, field in type(model).model_fields.items():
        value = getattr(model, name, None)
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        allowed = extra.get("enum_reference_types")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                found += references(item, allowed)
    return found


def unresolved(resources_by_address: dict, resources) -> list[str]:
    """References that name no resource of the export, or one of a type their field
    does not allow."""
    problems = []
    for resource in resources:
        for address, allowed in references(validate(resource)):
            target = resources_by_address.get(address)
            if target is None:
                problems.append(f"{resource['resourceType']} -> {address}: missing")
            elif allowed and "Resource" not in allowed and target["resourceType"] not in allowed:
                problems.append(
                    f"{resource['resourceType']} -> {target['resourceType']}: not in {allowed}"
                )
    return problems


def codings(resource) -> set[tuple[str, str]]:
    """Every (system, code) anywhere in the resource."""
    found = set()
    if isinstance(resource, dict):
        if "system" in resource and "code" in resource:
            found.add((resource["system"], resource["code"]))
        for value in resource.values():
            found |= codings(value)
    elif isinstance(resource, list):
        for value in resource:
            found |= codings(value)
    return found
