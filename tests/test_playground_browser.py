"""The playground in a real browser: headless Chromium (Debian's package) driven by Playwright.

`playwright install` cannot download browsers here, so the tests use the
system's ``chromium`` (``.ci/run`` installs it) through ``executable_path``.
They skip, saying why, only when Playwright or Chromium cannot be found.
"""

from __future__ import annotations

import time

import pytest

import mlplab

CSV = "a,b,label\n" + "\n".join(f"{x},{y},{int((x > 0) == (y > 0))}"
                                 for x in range(-5, 6) for y in range(-5, 6) if x and y)


@pytest.fixture
def page(chromium, playground_url):
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.base = playground_url + "/"
    yield page
    context.close()


def open_page(page, query=""):
    page.goto(page.base + query)
    page.wait_for_function("() => page.setup !== null && page.frame !== null")


def test_the_page_loads_without_console_errors(page):
    open_page(page)
    assert page.title() == "mlplab playground"
    assert page.locator("#layers canvas.neuron").count() == 4 + 2 + 1
    assert page.locator("a[href='/race']").count() == 1
    page.wait_for_timeout(300)
    assert page.problems == []


def test_play_makes_the_test_loss_fall_on_xor(page):
    open_page(page, "?data=xor")
    first = float(page.inner_text("#test-loss"))
    page.click("#play")
    page.wait_for_function("() => page.frame.iteration > 1500", timeout=60000)
    page.click("#play")  # pause
    assert float(page.inner_text("#test-loss")) < 0.6 * first
    assert page.problems == []


def test_frames_stream_while_playing_and_the_page_stays_responsive(page):
    # The rate itself (at least 20 a second) is measured in bench/playground_fps.py.
    open_page(page)
    page.evaluate("() => { window.count = 0; const f = onFrame; "
                  "onFrame = (frame) => { window.count += 1; f(frame); }; }")
    page.click("#play")
    page.wait_for_timeout(2000)
    started = time.perf_counter()
    page.click("#tabs button[data-view='surface']")
    page.wait_for_selector("#view-surface:not([hidden])")
    responded = time.perf_counter() - started
    frames = page.evaluate("() => window.count")
    page.click("#play")
    print(f"frames received in 2 s: {frames}; a tab switch while playing: {responded:.3f} s")
    assert frames >= 5 and responded < 5.0


def test_adding_a_layer_changing_the_activation_and_the_data_take_effect(page):
    open_page(page)
    page.click("#add-layer")
    page.wait_for_function("() => page.setup.sizes.length === 5")
    assert page.inner_text("#layer-count") == "3"
    assert page.locator("#layers canvas.neuron").count() == 4 + 2 + 2 + 1
    page.locator("select.activation").first.select_option("relu")
    page.wait_for_function("() => page.setup.activations[0] === 'relu'")
    assert "act=relu" in page.url
    page.click("#datasets button[data-data='spirals']")
    page.wait_for_function("() => page.settings.data === 'spirals'")
    assert "data=spirals" in page.url and "layers=4%2C2%2C2" in page.url
    assert page.locator("#datasets button.selected").inner_text() == "Spirals"


def test_an_uploaded_csv_trains(page):
    open_page(page)
    page.set_input_files("#upload", files=[{"name": "quadrants.csv", "mimeType": "text/csv",
                                             "buffer": CSV.encode()}])
    page.wait_for_function("() => page.settings.data === 'csv'")
    assert page.locator("#label").input_value() == "label"
    assert page.evaluate("() => page.setup.axis_names") == ["a", "b"]
    page.locator("#features input[data-feature='x1x2']").check()
    page.wait_for_function("() => page.settings.features === 'x1,x2,x1x2'")
    first = float(page.inner_text("#test-loss"))
    page.click("#play")
    page.wait_for_function("() => page.frame.iteration > 800", timeout=20000)
    page.click("#play")
    assert float(page.inner_text("#test-loss")) < 0.6 * first
    assert page.problems == []


def test_the_url_restores_settings(page):
    open_page(page, "?data=moons&layers=3&act=relu&opt=adam&lr=0.01&hp=beta1:0.8&batch=0")
    assert page.input_value("#lr") == "0.01" and page.input_value("#opt") == "adam"
    assert page.inner_text("#layer-count") == "1"
    assert page.locator("select.activation").first.input_value() == "relu"
    assert page.locator("#datasets button.selected").inner_text() == "Moons"
    assert page.locator("#hyperparameters input[data-hp='beta1']").input_value() == "0.8"
    assert "batch of 150" in page.inner_text("#task-note")


def test_an_on_off_hyperparameter_is_a_checkbox_kept_in_the_url(page):
    open_page(page, "?opt=adam&hp=amsgrad:1")
    box = page.locator("#hyperparameters input[data-hp='amsgrad']")
    assert box.get_attribute("type") == "checkbox" and box.is_checked()
    box.uncheck()
    page.wait_for_function("() => !location.search.includes('amsgrad')")
    box.check()
    page.wait_for_function("() => location.search.includes('amsgrad%3A1')"
                           " || location.search.includes('amsgrad:1')")
    assert page.problems == []


def test_a_diverging_learning_rate_shows_the_message(page):
    open_page(page, "?data=plane&lr=5&act=linear")
    page.click("#play")
    page.wait_for_function("() => document.getElementById('message').textContent"
                           ".includes('diverged at iteration')", timeout=20000)
    assert page.inner_text("#play").endswith("Play")  # it stopped by itself
    assert page.problems == []


def test_the_model_download_loads_with_mlplab(page, tmp_path):
    open_page(page)
    page.click("#step")
    with page.expect_download() as download:
        page.click("[data-download='model']")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    model = mlplab.load(path)
    assert [layer.params[0].shape for layer in model.layers if layer.param_names] == [
        (2, 4), (4, 2), (2, 1)]


def test_the_tutorial_views_draw(page):
    open_page(page, "?view=restarts&restarts=4")
    page.click("#play")
    page.wait_for_function("() => document.querySelectorAll('#restarts-grid .member').length "
                           "=== 4 && page.frame.iteration > 50", timeout=20000)
    page.click("#tabs button[data-view='surface']")
    page.wait_for_function("() => page.frame.surface && page.frame.surface.path.length > 3",
                           timeout=20000)
    page.click("#play")
    assert page.problems == []


def test_a_refused_setting_is_named_and_the_page_keeps_the_run_it_had(page):
    open_page(page, "?lr=0.1")
    page.fill("#lr", "0")
    page.dispatch_event("#lr", "change")
    page.wait_for_function("() => document.getElementById('message').textContent"
                           ".includes(\"'lr'\")")
    assert page.input_value("#lr") == "0.1" and "lr=0.1" in page.url
    page.click("#datasets button[data-data='moons']")  # the next change goes through
    page.wait_for_function("() => page.settings.data === 'moons'")
    assert page.evaluate("() => page.settings.lr") == "0.1"
