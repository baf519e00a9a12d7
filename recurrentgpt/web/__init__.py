"""The writer's web page, served by the LangGraph server itself (``langgraph.json`` "http").

:mod:`recurrentgpt.web.app` mounts the page under ``/ui`` next to the server's own
API; the page talks to that API (threads, runs, streaming, state) and to a few
JSON routes that render what only the package knows (the book, the export, the
tree of steps, a rewind).
"""
