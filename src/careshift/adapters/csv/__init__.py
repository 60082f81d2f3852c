"""CSV batch files (units, staff, roster, census, call-outs) held to versioned data contracts.

``schema`` holds the building blocks (typed columns, problems, the row reader), ``contracts``
the versioned contracts, ``reading`` splits a file into numbered rows, ``importer`` decides
row by row (import, or quarantine with a reason and a fix) and commits through the store
port (:class:`careshift.service.ports.Store`) and the reference-data port
(:class:`careshift.service.registry.ReferenceData`); ``memory`` is the in-memory
reference data. See ADR 0009.
"""
