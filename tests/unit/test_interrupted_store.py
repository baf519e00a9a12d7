"""An embedded store whose creation was cut short by a kill is created again, not refused.

Found by the kill harness (tests/reliability/kills.py): a CLI killed between the
shard's creation and its metadata file left a folder that every later run refused
("path already contains segment data"), so the novel could not be resumed.
"""

from __future__ import annotations

from pathlib import Path

import qdrant_edge as edge

from recurrentgpt.memory.edge_store import EdgeStore
from recurrentgpt.memory.store import DENSE, StoredPoint


def _unfinished_shard(folder: Path) -> edge.EdgeShard:
    """A shard created the way EdgeStore creates one, stopped before its metadata file."""
    config = edge.EdgeConfig(
        vectors={DENSE: edge.EdgeVectorParams(size=8, distance=edge.Distance.Cosine)}
    )
    return edge.EdgeShard.create(str(folder), config)


def test_a_store_cut_short_at_creation_is_created_again(tmp_path: Path) -> None:
    folder = tmp_path / "edge"
    folder.mkdir()
    _unfinished_shard(folder).close()

    store = EdgeStore(str(folder))
    store.ensure_collection(8)
    point_id = "00000000-0000-0000-0000-000000000001"
    point = StoredPoint(id=point_id, dense=[1.0] * 8, sparse=None, payload={"novel_id": "n"})
    store.upsert([point])
    store.close()

    reopened = EdgeStore(str(folder))
    assert reopened.dimensions() == 8 and reopened.count("n") == 1
    reopened.close()
