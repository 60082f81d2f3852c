"""HL7 v2 ADT over MLLP: framing (``framing``), parsing (``message``), mapping to canonical
events (``mapping``), acknowledgements (``ack``), the ingest use case (``ingest``) and the
asyncio listener (``listener``). Patient and encounter ids become keyed hashes here."""
