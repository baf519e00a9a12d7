"""The real command line with the scripted model, for tests that drive it in a pseudo-terminal.

Long-term memory is the real default backend in the data dir (pass ``--embedder hash:64``
to keep it model-free), so a novel survives from one process to the next. The model's
answers are numbered from SCRIPTED_FIRST_CALL, else from the process id, so a resumed
process never repeats a paragraph.
With SCRIPTED_REJECT_FIRST_WRITER set, the first writer reply of each process is unusable.
SCRIPTED_WRITER_SECONDS makes every writer reply take that long (two runs then overlap).
"""

from __future__ import annotations

import itertools
import os
import sys
import time

from recurrentgpt.cli import main
from recurrentgpt.context import Context
from recurrentgpt.services import DefaultServices, Role
from tests.fakes import ScriptedChatModel, _default_answer

REJECTED_DRAFT = "Rejected draft."


class ScriptedModelServices(DefaultServices):
    """Real long-term memory, the scripted model for every role."""

    def __init__(self) -> None:
        super().__init__()
        first_call = int(os.environ.get("SCRIPTED_FIRST_CALL") or os.getpid() * 1000)
        self.model = ScriptedChatModel(counter=itertools.count(first_call))
        if os.environ.get("SCRIPTED_REJECT_FIRST_WRITER"):
            replies = itertools.chain([REJECTED_DRAFT], itertools.repeat(None))

            def first_rejected(schema, messages, n):
                return next(replies) or _default_answer(schema, messages, n)

            self.model.overrides["text"] = first_rejected
        if seconds := float(os.environ.get("SCRIPTED_WRITER_SECONDS") or 0):
            write = self.model.overrides.get("text", _default_answer)

            def slowly(schema, messages, n):
                time.sleep(seconds)
                return write(schema, messages, n)

            self.model.overrides["text"] = slowly

    def chat_model(self, role: Role, context: Context):
        return self.model


if __name__ == "__main__":
    sys.exit(main(services=ScriptedModelServices()))
