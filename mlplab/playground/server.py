"""The playground's web server: its own static files, and one WebSocket per page.

Why Starlette and uvicorn rather than the standard library: the page and the
server talk both ways at once (the page sends settings, play and uploads while
the server streams 20+ frames a second), which is a WebSocket; `http.server`
has no WebSocket support, and writing RFC 6455 framing by hand is the kind of
code a well-kept library should own. Starlette is small, typed and widely
used; uvicorn serves it and stops cleanly on Ctrl-C. Both are the optional
extra ``playground``.

Routes are tables, so a page or a JSON endpoint is one more entry:
``PAGES["/race"] = "race.html"`` serves another page of ``static/``, and
``ENDPOINTS["/api/race"] = handler`` adds ``handler(query: dict) -> dict``
answered as JSON (errors as ``{"error": message, "parameter": name}`` with status 400).

Each connection gets its own `Session`, so tabs do not share a run; a page
that reconnects sends its settings again and starts afresh. Training runs in
the event loop between messages, a frame's worth of steps at a time (about
20 ms), so one connection cannot starve another for longer than that and no
thread ever touches a session another thread is using.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
import webbrowser
from collections.abc import Callable
from importlib import resources
from typing import Any

from mlplab.playground.race_api import data_race_payload, race_payload
from mlplab.playground.session import Session

PAGES: dict[str, str] = {"/": "index.html", "/race": "race.html"}
ENDPOINTS: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
    "/api/race": race_payload, "/api/race/data": data_race_payload}
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".css": "text/css; charset=utf-8", ".png": "image/png",
               ".svg": "image/svg+xml", ".gif": "image/gif"}
SAFE_NAME = re.compile(r"[A-Za-z0-9_-]+\.(html|js|css|png|svg|gif)")
FRAME_SECONDS = 1 / 30    # the stream's pace: at most 30 frames a second
TRAIN_SECONDS = 0.02      # training time per frame
MAX_MESSAGE_BYTES = 3_000_000  # an upload's text with room for JSON; larger is refused


def _imports() -> tuple[Any, ...]:
    """The optional extra's modules, imported only when a server is made."""
    try:
        import uvicorn
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route, WebSocketRoute
        from starlette.websockets import WebSocketDisconnect
    except ImportError as error:
        raise ImportError(f"the playground needs Starlette and uvicorn ({error.name} is "
                          "missing): pip install \"mlplab[playground]\"") from None
    return uvicorn, Starlette, JSONResponse, Response, Route, WebSocketRoute, WebSocketDisconnect


def static_file(name: str) -> bytes | None:
    """A file of the package's own static folder by plain name, else None.

    Only names like ``playground.js`` (letters, digits, '-', '_', one known
    suffix) are looked up, so no path can leave the folder.
    """
    if not SAFE_NAME.fullmatch(name):
        return None
    path = resources.files("mlplab.playground") / "static" / name
    return path.read_bytes() if path.is_file() else None


def create_app() -> Any:
    """The Starlette application: PAGES, /static/<name>, ENDPOINTS and /ws."""
    _, Starlette, JSONResponse, Response, Route, WebSocketRoute, Disconnect = _imports()

    def served(name: str) -> Any:
        content = static_file(name)
        if content is None:
            return Response("not found", status_code=404, media_type="text/plain")
        suffix = name[name.rfind("."):]
        return Response(content, media_type=MEDIA_TYPES.get(suffix, "application/octet-stream"),
                        headers={"Cache-Control": "no-cache"})

    def page(name: str) -> Callable[[Any], Any]:
        async def endpoint(request: Any) -> Any:
            return served(name)
        return endpoint

    async def static(request: Any) -> Any:
        return served(request.path_params["name"])

    def api(handler: Callable[[dict[str, str]], dict[str, Any]]) -> Callable[[Any], Any]:
        async def endpoint(request: Any) -> Any:
            try:
                answer = handler(dict(request.query_params))
            except (ValueError, TypeError) as error:
                body = {"error": " ".join(str(error).split())}
                if hasattr(error, "parameter"):  # the one-template errors name what was wrong
                    body["parameter"] = error.parameter.name
                return JSONResponse(body, status_code=400)
            return Response(json.dumps(answer, allow_nan=False), media_type="application/json")
        return endpoint

    async def socket(websocket: Any) -> None:
        await websocket.accept()
        await Connection(websocket, Disconnect).serve()

    routes = [Route(path, page(name)) for path, name in PAGES.items()]
    routes += [Route(path, api(handler)) for path, handler in ENDPOINTS.items()]
    routes += [Route("/static/{name}", static), WebSocketRoute("/ws", socket)]
    return Starlette(routes=routes)


class Connection:
    """One page: messages in, replies and the frame stream out, over one WebSocket."""

    def __init__(self, websocket: Any, disconnect: type[Exception]) -> None:
        self.websocket, self.disconnect = websocket, disconnect
        self.session: Session | None = None
        self.lock = asyncio.Lock()
        self.wake = asyncio.Event()

    async def send(self, message: dict[str, Any]) -> None:
        try:
            text = json.dumps(message, allow_nan=False)
        except ValueError:  # a NaN got past the frames' checks: say so, never send it
            text = json.dumps({"type": "error", "message": "internal error: a number that is "
                               "not finite reached a frame; press reset"})
            if self.session is not None:
                self.session.playing = False
        async with self.lock:
            await self.websocket.send_text(text)

    async def serve(self) -> None:
        stream = asyncio.create_task(self.stream())
        try:
            while True:
                text = await self.websocket.receive_text()
                for reply in self.answer(text):
                    await self.send(reply)
                self.wake.set()
        except (self.disconnect, RuntimeError):
            pass  # the page went away (closed tab, reload): its session goes with it
        finally:
            stream.cancel()

    def answer(self, text: str) -> list[dict[str, Any]]:
        if len(text) > MAX_MESSAGE_BYTES:
            return [{"type": "error", "message": f"message of {len(text)} bytes refused: "
                     f"at most {MAX_MESSAGE_BYTES} (uploads: at most 2 MB)"}]
        try:
            message = json.loads(text)
        except ValueError:
            return [{"type": "error", "message": "a message that is not JSON was refused"}]
        if self.session is None:  # the page's first message sets up its session
            self.session = Session()
            replies = self.session.handle(message)
            if replies and replies[0]["type"] == "setup":
                return replies
            return [self.session.setup_message(), *self.session.frames(), *replies]
        return self.session.handle(message)

    async def stream(self) -> None:
        """While playing: train for a frame's time, send the frame, keep the pace."""
        while True:
            session = self.session
            if session is None or not session.playing:
                self.wake.clear()
                await self.wake.wait()
                continue
            started = time.perf_counter()
            session.advance(seconds=TRAIN_SECONDS)
            await self.send(session.frame())
            await asyncio.sleep(max(0.0, FRAME_SECONDS - (time.perf_counter() - started)))


def serve(host: str = "127.0.0.1", port: int = 0, *, open_browser: bool = False,
          announce: Callable[[str], None] = print) -> None:
    """Run the playground until Ctrl-C; port 0 picks a free one. Prints the URL."""
    uvicorn = _imports()[0]
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(128)  # connections wait in the backlog until uvicorn serves them
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{listener.getsockname()[1]}/"
    announce(f"mlplab playground at {url} (Ctrl-C stops it)")
    if open_browser:
        webbrowser.open(url)
    config = uvicorn.Config(create_app(), log_level="warning", ws_max_size=MAX_MESSAGE_BYTES,
                            lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[listener])
    except KeyboardInterrupt:  # uvicorn shuts down on Ctrl-C, then passes the signal on
        pass
    finally:
        listener.close()
