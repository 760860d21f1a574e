"""What the sandbox insists on before it adjudicates: enough of the PAS request Bundle shape to
find the request, the patient and the lines. Not a validator — the package builder's PAS rule
checks are — but a payer that answers 400 with an OperationOutcome to a broken body."""

from __future__ import annotations

from typing import Any

from tracker.payers.fhir_elements import objects, text

Issue = tuple[str, str, str | None]  # (OperationOutcome issue code, message, FHIRPath)


def unwrap(document: Any) -> Any:
    """The Bundle of a `$submit`/`$inquire` body: posted bare, or as the `resource` parameter."""
    if isinstance(document, dict) and document.get("resourceType") == "Parameters":
        for parameter in objects(document.get("parameter")):
            if parameter.get("name") == "resource" and isinstance(parameter.get("resource"), dict):
                return parameter["resource"]
    return document


def request_issues(bundle: Any, *, inquiry: bool = False) -> list[Issue]:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        kind = bundle.get("resourceType") if isinstance(bundle, dict) else type(bundle).__name__
        return [("structure", f"expected a PAS request Bundle, got {kind or 'no resourceType'}", None)]
    issues: list[Issue] = []
    identifier = bundle.get("identifier")
    if not isinstance(identifier, dict) or not text(identifier.get("value")):
        issues.append(("required", "the Bundle needs an identifier with a value (the submitter's "
                       "transaction identifier)", "Bundle.identifier"))
    if bundle.get("type") != "collection":
        issues.append(("value", "a PAS request Bundle has type 'collection'", "Bundle.type"))
    entries = objects(bundle.get("entry"))
    first = entries[0].get("resource") if entries else None
    if not isinstance(first, dict) or first.get("resourceType") != "Claim":
        issues.append(("structure", "the first entry must be the Claim", "Bundle.entry[0].resource"))
        return issues
    if first.get("use") != "preauthorization":
        issues.append(("value", "Claim.use must be 'preauthorization'", "Claim.use"))
    if not isinstance(first.get("patient"), dict):
        issues.append(("required", "the Claim names no patient", "Claim.patient"))
    if not inquiry and not objects(first.get("insurance")):
        issues.append(("required", "the Claim names no insurance", "Claim.insurance"))
    items = objects(first.get("item"))
    if not items:
        issues.append(("required", "the Claim has no item", "Claim.item"))
    for index, item in enumerate(items):
        if not isinstance(item.get("sequence"), int):
            issues.append(("required", "each item needs a sequence", f"Claim.item[{index}].sequence"))
        if not objects((item.get("productOrService") or {}).get("coding")):
            issues.append(("required", "each item needs a productOrService code",
                           f"Claim.item[{index}].productOrService"))
    return issues
