"""Readers and writers for published rostering benchmarks (Curtois–Qu, INRC-II), mapped into
the domain model so the checker and the engine treat them like any other problem."""
