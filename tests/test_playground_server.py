"""The playground's server: its files, its WebSocket, and the command that starts it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

import pytest

starlette = pytest.importorskip("starlette")
pytest.importorskip("httpx2")  # what starlette's TestClient uses


@pytest.fixture
def client():
    from starlette.testclient import TestClient

    from mlplab.playground.server import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


def test_the_server_serves_its_own_files_only(client):
    assert client.get("/").status_code == 200
    assert "playground.js" in client.get("/").text
    assert client.get("/static/playground.js").headers["content-type"].startswith(
        "text/javascript")
    for path in ("/static/..%2Fserver.py", "/static/server.py", "/static/nothing.js",
                 "/static/.hidden.css", "/etc/passwd"):
        assert client.get(path).status_code == 404


def test_the_socket_answers_settings_play_and_bad_messages(client):
    with client.websocket_connect("/ws") as socket:
        socket.send_text(json.dumps({"type": "settings", "query": {"layers": "3"}}))
        setup = socket.receive_json()
        assert setup["type"] == "setup" and setup["sizes"] == [2, 3, 1]
        assert socket.receive_json()["type"] == "frame"
        socket.send_text("not json")
        assert socket.receive_json()["type"] == "error"
        socket.send_text(json.dumps({"type": "play"}))
        iterations = [socket.receive_json()["iteration"] for _ in range(6)]
        assert iterations[-1] > iterations[1] > 0
        socket.send_text(json.dumps({"type": "pause"}))


def test_each_tab_has_its_own_session(client):
    with client.websocket_connect("/ws") as first, client.websocket_connect("/ws") as second:
        first.send_text(json.dumps({"type": "settings", "query": {"data": "moons"}}))
        second.send_text(json.dumps({"type": "settings", "query": {"layers": "7"}}))
        one, two = first.receive_json(), second.receive_json()
        assert one["settings"]["data"] == "moons" and one["sizes"] == [2, 4, 2, 1]
        assert two["settings"]["data"] == "xor" and two["sizes"] == [2, 7, 1]


def test_the_cli_prints_the_url_and_stops_cleanly_on_ctrl_c():
    process = subprocess.Popen([sys.executable, "-m", "mlplab", "playground"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        line = process.stdout.readline()
        url = line.split(" at ")[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        assert b"playground" in urllib.request.urlopen(url, timeout=10).read()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0 and "Traceback" not in err
    assert "stopped" in out


def test_the_cli_refuses_a_bad_port():
    result = subprocess.run([sys.executable, "-m", "mlplab", "playground", "--port", "70000"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "--port" in result.stderr
