"""Prompts and output schemas, one module per role.

Each module holds the text a novelist may want to read and tune (``SYSTEM`` and
``USER`` templates, formatted with ``str.format``) and the Pydantic schema the
role's reply must satisfy. Every string in a schema is bounded, because small
models loop inside unbounded strings.
"""
