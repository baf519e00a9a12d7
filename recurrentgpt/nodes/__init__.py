"""The nodes of the RecurrentGPT step, one module per role.

Each module exposes ``make_<role>_node(services)`` returning the async node
function, so the graph builder can hand every node the same :class:`Services`.
"""
