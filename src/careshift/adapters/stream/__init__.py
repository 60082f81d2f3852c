"""Event streams: the :class:`EventStream` port, the embedded in-process log (default) and
Kafka. Import :mod:`careshift.adapters.stream.kafka` only when Kafka is configured."""

from careshift.adapters.stream.codec import decode_event, encode_event
from careshift.adapters.stream.embedded import EmbeddedEventStream, InMemoryLogStorage, LogRecord, LogStorage
from careshift.adapters.stream.port import EventHandler, EventStream, UndecodableRecord, partition_key

__all__ = [
    "EmbeddedEventStream",
    "EventHandler",
    "EventStream",
    "InMemoryLogStorage",
    "LogRecord",
    "LogStorage",
    "UndecodableRecord",
    "decode_event",
    "encode_event",
    "partition_key",
]
