"""A scripted $EDITOR: each run does the next action listed in the file EDITOR_ACTIONS.

Actions, one a line: ``append TEXT`` appends TEXT, ``fail`` exits with status 1
without touching the file, ``keep`` saves it unchanged. Every text it opened is
appended to EDITOR_LOG, so a test can check which text an edit started from.
"""

import os
import sys

path = sys.argv[1]
with open(path, encoding="utf-8") as handle:
    original = handle.read()
with open(os.environ["EDITOR_LOG"], "a", encoding="utf-8") as log:
    log.write(original + "\n---\n")
with open(os.environ["EDITOR_ACTIONS"], encoding="utf-8") as handle:
    action, *rest = handle.read().splitlines() or ["keep"]
with open(os.environ["EDITOR_ACTIONS"], "w", encoding="utf-8") as handle:
    handle.write("\n".join(rest))
if action == "fail":
    sys.exit(1)
if action.startswith("append "):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(original + " " + action.split(" ", 1)[1])
