"""The race page's API (`mlplab.playground.race_api`) and the page itself in headless Chromium."""

import json

import pytest

from mlplab.playground.race_api import data_race_payload, race_payload

starlette = pytest.importorskip("starlette", reason="the playground extra is not installed")
pytest.importorskip("httpx2", reason="starlette's TestClient needs httpx2")


@pytest.fixture(scope="module")
def client():
    from starlette.testclient import TestClient

    from mlplab.playground.server import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


def test_the_payload_is_the_race_with_its_contours_and_json_safe():
    payload = race_payload({"function": "beale", "optimizers": "sgd,adam", "steps": "30",
                            "grid": "20", "learning_rates": "sgd=0.001"})
    json.dumps(payload, allow_nan=False)
    assert [r["label"] for r in payload["racers"]] == ["sgd", "adam"]
    assert payload["racers"][0]["learning_rate"] == 0.001
    assert len(payload["racers"][1]["path"]) == 31
    contours = payload["contours"]
    assert len(contours["xs"]) == 20 and len(contours["values"]) == 20 and contours["log"]
    assert payload["minimum"] == [3.0, 0.5]
    assert "sgd" in payload["choices"]["learning_rates"]["valley"]


def test_a_diverging_race_reaches_the_page_without_nan():
    payload = race_payload({"function": "saddle", "optimizers": "momentum", "steps": "400"})
    racer = payload["racers"][0]
    assert racer["diverged_at"] is not None and len(racer["path"]) == racer["diverged_at"]
    json.dumps(payload, allow_nan=False)


@pytest.mark.parametrize("query, parameter", [
    ({"function": "nowhere"}, "function"),
    ({"steps": "0"}, "steps"),
    ({"steps": "many"}, "steps"),
    ({"steps": "100000"}, "steps"),
    ({"optimizers": "sgd,lbfgs"}, "optimizers"),
    ({"optimizers": ""}, "optimizers"),
    ({"start": "1"}, "start"),
    ({"start": "nan,1"}, "start"),
    ({"learning_rates": "adam=-1"}, "learning_rates"),
    ({"learning_rates": "rprop=0.1", "optimizers": "sgd"}, "learning_rates"),
    ({"grid": "5000"}, "grid"),
    ({"colour": "red"}, "colour"),
])
def test_a_bad_query_gets_400_naming_the_parameter(client, query, parameter):
    response = client.get("/api/race", params=query)
    body = response.json()
    assert response.status_code == 400 and body["parameter"] == parameter
    assert f"'{parameter}' parameter of /api/race" in body["error"]


def test_the_data_race_payload_and_its_errors(client):
    response = client.get("/api/race/data", params={"data": "xor", "optimizers": "sgd,adam",
                                                    "epochs": "3", "layers": "4"})
    body = response.json()
    assert response.status_code == 200 and [c["label"] for c in body["curves"]] == ["sgd", "adam"]
    assert len(body["curves"][0]["loss"]) == 3
    json.dumps(body, allow_nan=False)
    for query, parameter in (({"data": "/etc/passwd"}, "data"), ({"layers": "0"}, "layers"),
                             ({"epochs": "9999"}, "epochs")):
        response = client.get("/api/race/data", params=query)
        assert response.status_code == 400 and response.json()["parameter"] == parameter
    with pytest.raises(ValueError, match="'seed' parameter"):
        data_race_payload({"seed": "-1"})


# -- in a browser, served by `mlplab playground` (see conftest's fixtures) ----------------


def test_the_race_animates_in_a_browser(playground_url, chromium, tmp_path):
    page = chromium.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{playground_url}/race?function=valley&steps=120")
    page.wait_for_selector("#legend li")
    assert page.locator("#legend li").count() == 7
    first = page.evaluate("state.step")
    page.wait_for_timeout(600)
    assert page.evaluate("state.step") > first  # the paths advance on their own
    page.click("#play")  # pause
    paused = page.evaluate("state.step")
    page.wait_for_timeout(300)
    assert page.evaluate("state.step") == paused
    page.click("#restart")
    page.wait_for_function("state.step > 0 && state.step < 60")
    page.fill("#steps", "300")
    page.select_option("#function", "saddle")
    page.wait_for_function("state.race.function === 'saddle'")
    page.wait_for_function("state.step >= state.race.steps", timeout=20000)
    assert "diverged at step" in page.inner_text("#legend")
    assert "function=saddle" in page.url
    page.screenshot(path=str(tmp_path / "race.png"))
    assert errors == []


def test_a_bad_url_shows_the_message_and_the_data_race_draws(playground_url, chromium):
    page = chromium.new_page()
    page.goto(f"{playground_url}/race?steps=0")
    page.wait_for_function("document.getElementById('status').textContent.length > 0")
    assert "'steps' parameter" in page.inner_text("#status")
    page.goto(f"{playground_url}/race?optimizers=sgd,adam&steps=20")
    page.wait_for_selector("#legend li")
    page.fill("#epochs", "3")
    page.click("#train")
    page.wait_for_function("document.getElementById('data-status').textContent.includes('adam')")
    assert "alpha" in page.inner_text("#data-status")
