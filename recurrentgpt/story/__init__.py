"""The story as plain data: the book outline, its chapters and the story bible.

Everything here is pure: data in, data out, no graph, no I/O. The nodes keep
the data in the checkpointed graph state, so time travel and crash re-runs
come for free: a change is a function of the previous state, never applied
twice, and a fork sees the story as it was at its fork point.
"""
