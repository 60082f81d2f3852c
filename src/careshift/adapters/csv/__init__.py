"""CSV batch files (units, staff, roster, census, call-outs) held to versioned data contracts.

``contracts`` defines the contracts, ``reading`` splits a file into numbered rows,
``importer`` decides row by row (import or quarantine with a reason) and commits through the
:class:`~careshift.adapters.csv.importer.CsvImportStore` port; ``memory`` is its in-memory fake.
"""
