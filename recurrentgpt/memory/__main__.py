"""Long-term memory maintenance: ``python -m recurrentgpt.memory {move,index,info}``.

- ``move --data-dir novels --to http://qdrant:6333``: copy a data dir's memory
  to a Qdrant server (ids, payloads, vectors and the record of the embedder
  kept; safe to run twice), then
  set ``QDRANT_URL`` so every writer uses the server.
- ``index --data-dir novels``: build the embedded store's HNSW graphs. It
  blocks the process, so it runs between writing sessions, never in a step.
- ``info --data-dir novels``: points, indexed vectors, segments and embedder.
"""

from __future__ import annotations

import argparse
import os
import sys

from recurrentgpt.memory.client_store import ClientStore
from recurrentgpt.memory.edge_store import EdgeStore
from recurrentgpt.memory.migration import copy_memory
from recurrentgpt.memory.opening import Backend, open_store
from recurrentgpt.memory.store import DEFAULT_COLLECTION, MemoryConfigError, VectorStore


def _data_dir_store(data_dir: str, backend: Backend, collection: str) -> VectorStore:
    return open_store(os.path.join(data_dir, "qdrant"), backend=backend, collection=collection)


def main(argv: list[str] | None = None) -> int:
    """Run one maintenance command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m recurrentgpt.memory")
    parser.add_argument("command", choices=("move", "index", "info"))
    parser.add_argument("--data-dir", default=os.environ.get("RECURRENTGPT_DATA_DIR", "novels"))
    parser.add_argument("--backend", choices=("edge", "local"), default="edge")
    parser.add_argument("--collection", default=DEFAULT_COLLECTION)
    parser.add_argument("--to", help="move: a Qdrant server URL (or a folder)")
    parser.add_argument("--to-backend", choices=("edge", "local"), default="local")
    parser.add_argument("--api-key", default=os.environ.get("QDRANT_API_KEY", ""))
    args = parser.parse_args(argv)
    try:
        source = _data_dir_store(args.data_dir, args.backend, args.collection)
        if args.command == "move":
            if not args.to:
                parser.error("move needs --to (a Qdrant server URL)")
            target = open_store(
                args.to, backend=args.to_backend, api_key=args.api_key, collection=args.collection
            )
            copied = copy_memory(source, target)
            print(f"copied {copied} paragraphs to {args.to}")
            if args.to.startswith(("http://", "https://")):
                print(f"now set QDRANT_URL={args.to} for every writer")
        elif args.command == "index":
            built = source.build_index()
            print("indexed" if built else "already indexed")
        elif isinstance(source, EdgeStore):
            print({**source.info(), "embedder": source.embedder()})
        elif isinstance(source, ClientStore):
            print(
                {
                    "dims": source.dimensions(),
                    "legacy": source.legacy,
                    "embedder": source.embedder(),
                }
            )
    except MemoryConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
