"""Two processes creating the first store of one data dir in the same instant.

Before the creation lock, one process's clean-up of an "unfinished" shard removed
the shard the other was creating: in 3 of 5 tries both failed (an ``OSError``, a
"WAL ack failed" from the engine) and left a broken store. Now the second waits,
finds the store made, and gets the one-line error of any second writer.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from recurrentgpt.memory.edge_store import EdgeStore
from tests.reliability.kills import REPO_ROOT

CREATE = textwrap.dedent(
    """
    import os, sys, time, uuid
    from recurrentgpt.memory.edge_store import EdgeStore
    from recurrentgpt.memory.store import MemoryLockedError, StoredPoint

    folder, gate = sys.argv[1], sys.argv[2]
    open(f"{gate}.{os.getpid()}", "w").close()
    while len([n for n in os.listdir(os.path.dirname(gate)) if n.startswith("gate.")]) < 2:
        time.sleep(0.001)  # both processes start creating together
    try:
        store = EdgeStore(folder)
        store.ensure_collection(8)
        point = StoredPoint(str(uuid.uuid4()), [1.0] * 8, None, {"novel_id": str(os.getpid())})
        store.upsert([point])
        time.sleep(0.5)  # still holding the store when the other one opens it
        store.close()
        print("created")
    except MemoryLockedError as error:
        print(f"refused: {error}")
    """
)

RACES = 3


def test_the_second_of_two_creators_waits_and_gets_one_clear_line(tmp_path: Path) -> None:
    for race in range(RACES):
        folder = tmp_path / f"race{race}" / "edge"
        gate = tmp_path / f"race{race}" / "gate"
        folder.mkdir(parents=True)
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", CREATE, str(folder), str(gate)],
                cwd=REPO_ROOT,
                env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outcomes = [process.communicate(timeout=120) for process in processes]
        said = sorted(out.strip() for out, _ in outcomes)
        assert all(process.returncode == 0 for process in processes), outcomes
        assert said[0] == "created", outcomes
        assert said[1].startswith("refused: long-term memory at") and "another process" in said[1]
        store = EdgeStore(str(folder))  # the store is whole: it opens and holds one paragraph
        assert store.dimensions() == 8 and store.info()["points"] == 1
        store.close()
