"""Prompts and output schemas, one pair per role.

Each role's prompt is a template file (``<role>.txt``, see
:mod:`recurrentgpt.prompts.templates`) next to the module holding the Pydantic
schema its reply must satisfy and the short fill-in texts the code chooses
between. Every string in a schema is bounded, and every list short, because
small models loop inside unbounded strings.
"""
