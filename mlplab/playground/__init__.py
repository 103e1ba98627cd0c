"""The playground: a local web page where a network trains in mlplab and draws itself live.

``mlplab playground`` (or `serve`) starts the server; `create_app` builds the
Starlette application (needs the ``playground`` extra). The pieces:
`settings` (the URL's keys), `data` (sets, uploads, features), `recipe` (the
network, loss and optimizer as calls that are also the downloaded script),
`run` (fit's loop, a few steps at a time), `frames` (compact, JSON-safe
pictures), `session` (one page's state and messages), `script` (the Python
that reproduces a run), `server` (HTTP and WebSocket).
"""
