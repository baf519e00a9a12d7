"""Long-term memory: the contract, its backends, lexical encoding and migration.

- :mod:`~recurrentgpt.memory.long_term`: :class:`LongTermMemory`, what the nodes use.
- :mod:`~recurrentgpt.memory.store`: the backend contract and errors.
- :mod:`~recurrentgpt.memory.edge_store`: the embedded Qdrant engine (the default).
- :mod:`~recurrentgpt.memory.disk`: free space checked before the engine writes.
- :mod:`~recurrentgpt.memory.client_store`: a Qdrant server, or qdrant-client local mode.
- :mod:`~recurrentgpt.memory.lexical`: entity names and BM25 sparse vectors.
- :mod:`~recurrentgpt.memory.term_sample`: how common each BM25 term is (queries keep the rarest).
- :mod:`~recurrentgpt.memory.migration`: local mode to engine, data dir to server.
- :mod:`~recurrentgpt.memory.identity`: the embedder a store records, against a run's.
- :mod:`~recurrentgpt.memory.opening`: a store from a location string, once per process.
"""

from recurrentgpt.memory.disk import MemoryDiskFullError
from recurrentgpt.memory.long_term import LongTermMemory
from recurrentgpt.memory.opening import close_stores, open_store
from recurrentgpt.memory.passage import Passage, point_id
from recurrentgpt.memory.store import DEFAULT_COLLECTION, MemoryConfigError, MemoryLockedError

__all__ = [
    "DEFAULT_COLLECTION",
    "LongTermMemory",
    "MemoryConfigError",
    "MemoryDiskFullError",
    "MemoryLockedError",
    "Passage",
    "close_stores",
    "open_store",
    "point_id",
]
