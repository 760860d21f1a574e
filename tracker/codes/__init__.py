"""The procedure catalog: CPT/HCPCS codes, their families, regions and counting rules."""

from tracker.codes.catalog import (
    REGIONS,
    BilateralPayment,
    Catalog,
    CodingRule,
    ProcedureCode,
    is_well_formed,
    load_catalog,
    normalize_code,
)

__all__ = [
    "REGIONS",
    "BilateralPayment",
    "Catalog",
    "CodingRule",
    "ProcedureCode",
    "is_well_formed",
    "load_catalog",
    "normalize_code",
]
