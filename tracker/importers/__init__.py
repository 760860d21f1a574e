"""Import of practice data: documented CSV files and FHIR R4 bundles, with quarantine.

The use case is `tracker.importers.service.import_practice_files`. This package's `__init__`
imports nothing, so `painauth` can describe the command's arguments without loading the store.
"""
