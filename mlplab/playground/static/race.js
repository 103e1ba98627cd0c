// The race page: asks mlplab for a race (GET /api/race?...), draws the function's contours
// once, then animates every optimizer's path on top. Plain JavaScript, no library, no build.
"use strict";

const API = document.body.dataset.api || "/api/race";
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                "#7f7f7f", "#bcbd22", "#17becf"];
const MARGIN = { left: 54, right: 12, top: 12, bottom: 40 };
const BANDS = 24; // contour bands of the background

const $ = (id) => document.getElementById(id);
const state = { race: null, background: null, step: 0, playing: true, last: null,
                choices: null, rates: {} };

// -- settings <-> URL ----------------------------------------------------------------------

function settingsFromUrl() {
  const query = new URLSearchParams(window.location.search);
  return {
    function: query.get("function") || "valley",
    optimizers: query.get("optimizers"),
    steps: query.get("steps"),
    start: query.get("start"),
    learning_rates: query.get("learning_rates"),
  };
}

function currentQuery(start) {
  const query = new URLSearchParams();
  query.set("function", $("function").value);
  const checked = checkedOptimizers();
  if (checked.length) query.set("optimizers", checked.join(","));
  query.set("steps", $("steps").value);
  if (start) query.set("start", start.map((v) => +v.toPrecision(6)).join(","));
  const rates = checked.map((name) => `${name}=${$("rate-" + name).value}`);
  if (rates.length) query.set("learning_rates", rates.join(","));
  return query;
}

function checkedOptimizers() {
  return [...document.querySelectorAll("#optimizers input[type=checkbox]:checked")]
    .map((box) => box.value);
}

// -- fetching ------------------------------------------------------------------------------

async function fetchJson(url) {
  const response = await fetch(url);
  let body = null;
  try { body = await response.json(); } catch (error) { body = null; }
  if (!response.ok) {
    throw new Error(body && body.error ? body.error : `${response.status} ${response.statusText}`);
  }
  return body;
}

async function runRace(start) {
  const query = currentQuery(start);
  setStatus("racing ...");
  try {
    const race = await fetchJson(`${API}?${query}`);
    window.history.replaceState(null, "", `?${query}`);
    showRace(race);
  } catch (error) {
    setStatus(error.message, true);
  }
}

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

// -- controls ------------------------------------------------------------------------------

function fillControls(choices, settings) {
  state.choices = choices;
  const select = $("function");
  select.innerHTML = "";
  for (const f of choices.functions) {
    select.add(new Option(`${f.name}: ${f.title}`, f.name));
  }
  select.value = settings.function;
  const wanted = settings.optimizers ? settings.optimizers.split(",") : choices.default_optimizers;
  const given = Object.fromEntries((settings.learning_rates || "").split(",").filter(Boolean)
    .map((pair) => pair.split("=")));
  const box = $("optimizers");
  box.innerHTML = "";
  // the classic racers first, in their usual order, then every other optimizer
  const names = [...choices.default_optimizers,
                 ...choices.optimizers.filter((n) => !choices.default_optimizers.includes(n))];
  for (const name of names) {
    const row = document.createElement("label");
    row.className = "optimizer";
    const rate = given[name] || choices.learning_rates[select.value][name];
    row.innerHTML = `<input type="checkbox" value="${name}" ${wanted.includes(name) ? "checked" : ""}>` +
      `<span>${name}</span><input type="number" id="rate-${name}" step="any" min="0" value="${rate}" title="learning rate">`;
    box.appendChild(row);
  }
  if (settings.steps) $("steps").value = settings.steps;
  const data = $("data");
  data.innerHTML = "";
  for (const name of choices.data_sets) data.add(new Option(name, name));
}

function resetRates() {
  const rates = state.choices.learning_rates[$("function").value];
  for (const name of state.choices.optimizers) $("rate-" + name).value = rates[name];
}

// -- drawing -------------------------------------------------------------------------------

function plotArea(canvas) {
  return { x: MARGIN.left, y: MARGIN.top, w: canvas.width - MARGIN.left - MARGIN.right,
           h: canvas.height - MARGIN.top - MARGIN.bottom };
}

function toCanvas(race, area, point) {
  const [[x0, x1], [y0, y1]] = race.window;
  return [area.x + (point[0] - x0) / (x1 - x0) * area.w,
          area.y + (1 - (point[1] - y0) / (y1 - y0)) * area.h];
}

function fromCanvas(race, area, px, py) {
  const [[x0, x1], [y0, y1]] = race.window;
  return [x0 + (px - area.x) / area.w * (x1 - x0), y0 + (1 - (py - area.y) / area.h) * (y1 - y0)];
}

// The contour background: the grid interpolated to every pixel, cut into bands of equal
// height (in log10 when the values span decades), a line where the band changes.
function drawBackground(race, canvas) {
  const area = plotArea(canvas);
  const { xs, ys, values, log } = race.contours;
  const flat = values.flat();
  const max = Math.max(...flat);
  const min = Math.min(...flat);
  const floor = log ? Math.max(min, max * 1e-7, 1e-12) : min;
  const level = (v) => log ? Math.log10(Math.max(v, floor)) : v;
  const lo = level(floor);
  const hi = level(max);
  const w = Math.round(area.w);
  const h = Math.round(area.h);
  const bands = new Int16Array(w * h);
  const nx = xs.length;
  const ny = ys.length;
  for (let j = 0; j < h; j++) {
    const gy = (1 - j / (h - 1)) * (ny - 1);
    const j0 = Math.min(Math.floor(gy), ny - 2);
    const fy = gy - j0;
    for (let i = 0; i < w; i++) {
      const gx = i / (w - 1) * (nx - 1);
      const i0 = Math.min(Math.floor(gx), nx - 2);
      const fx = gx - i0;
      const v = (1 - fy) * ((1 - fx) * values[j0][i0] + fx * values[j0][i0 + 1]) +
        fy * ((1 - fx) * values[j0 + 1][i0] + fx * values[j0 + 1][i0 + 1]);
      const t = hi > lo ? (level(v) - lo) / (hi - lo) : 0;
      bands[j * w + i] = Math.min(BANDS - 1, Math.max(0, Math.floor(t * BANDS)));
    }
  }
  const image = new ImageData(w, h);
  for (let k = 0; k < w * h; k++) {
    const band = bands[k];
    const edge = (k % w < w - 1 && bands[k + 1] !== band) || (k + w < w * h && bands[k + w] !== band);
    const shade = edge ? 120 : 150 + Math.round(100 * band / (BANDS - 1));
    image.data.set([shade, shade, shade, 255], 4 * k);
  }
  const layer = document.createElement("canvas");
  layer.width = canvas.width;
  layer.height = canvas.height;
  const ctx = layer.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, layer.width, layer.height);
  ctx.putImageData(image, area.x, area.y);
  drawAxes(ctx, race, area);
  return layer;
}

function ticks(lo, hi, n = 5) {
  const raw = (hi - lo) / n;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toPrecision(10));
  return out;
}

function drawAxes(ctx, race, area) {
  const [[x0, x1], [y0, y1]] = race.window;
  ctx.strokeStyle = "#333";
  ctx.strokeRect(area.x, area.y, area.w, area.h);
  ctx.fillStyle = "#222";
  ctx.font = "12px system-ui, sans-serif";
  ctx.textAlign = "center";
  for (const v of ticks(x0, x1)) {
    const [px] = toCanvas(race, area, [v, y0]);
    ctx.fillText(String(v), px, area.y + area.h + 15);
  }
  ctx.textAlign = "right";
  for (const v of ticks(y0, y1)) {
    const [, py] = toCanvas(race, area, [x0, v]);
    ctx.fillText(String(v), area.x - 5, py + 4);
  }
  ctx.textAlign = "center";
  const [xLabel, yLabel] = race.axis_labels || ["x", "y"];
  ctx.fillText(xLabel, area.x + area.w / 2, area.y + area.h + 32);
  ctx.save();
  ctx.translate(14, area.y + area.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();
  if (race.minimum) marker(ctx, toCanvas(race, area, race.minimum), "star");
  marker(ctx, toCanvas(race, area, race.start), "start");
}

function marker(ctx, [x, y], kind) {
  ctx.save();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = "#000";
  if (kind === "star") {
    ctx.fillStyle = "gold";
    ctx.beginPath();
    for (let k = 0; k < 10; k++) {
      const r = k % 2 ? 4.5 : 11;
      const a = -Math.PI / 2 + k * Math.PI / 5;
      ctx.lineTo(x + r * Math.cos(a), y + r * Math.sin(a));
    }
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
  } else {
    ctx.fillStyle = "#fff";
    ctx.beginPath();
    ctx.arc(x, y, 6, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
  ctx.restore();
}

function drawFrame() {
  const canvas = $("plot");
  const ctx = canvas.getContext("2d");
  const race = state.race;
  if (!race) return;
  ctx.drawImage(state.background, 0, 0);
  const area = plotArea(canvas);
  const step = Math.floor(state.step);
  ctx.save();
  ctx.beginPath();
  ctx.rect(area.x, area.y, area.w, area.h);
  ctx.clip();
  race.racers.forEach((racer, i) => {
    const color = COLORS[i % COLORS.length];
    const last = Math.min(step, racer.path.length - 1);
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (let t = 0; t <= last; t++) {
      const [px, py] = toCanvas(race, area, racer.path[t]);
      if (t === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
    }
    ctx.stroke();
    const [hx, hy] = toCanvas(race, area, racer.path[last]);
    ctx.fillStyle = color;
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 1;
    const stopped = racer.diverged_at !== null && step >= racer.diverged_at;
    ctx.beginPath();
    if (stopped) {
      ctx.lineWidth = 3;
      ctx.strokeStyle = color;
      ctx.moveTo(hx - 6, hy - 6); ctx.lineTo(hx + 6, hy + 6);
      ctx.moveTo(hx + 6, hy - 6); ctx.lineTo(hx - 6, hy + 6);
      ctx.stroke();
    } else {
      ctx.arc(hx, hy, 5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
  });
  ctx.restore();
  ctx.fillStyle = "#222";
  ctx.font = "13px system-ui, sans-serif";
  ctx.textAlign = "right";
  ctx.fillText(`step ${Math.min(step, race.steps)} of ${race.steps}`, area.x + area.w - 6,
    area.y + 16);
  updateLegend(step);
}

function updateLegend(step) {
  const race = state.race;
  const items = $("legend").children;
  race.racers.forEach((racer, i) => {
    const last = Math.min(step, racer.path.length - 1);
    const stopped = racer.diverged_at !== null && step >= racer.diverged_at;
    const text = items[i].querySelector(".value");
    text.textContent = stopped ? `diverged at step ${racer.diverged_at}`
      : `f = ${racer.values[last].toPrecision(4)}`;
    text.className = "value" + (stopped ? " diverged" : "");
  });
}

function showRace(race) {
  state.race = race;
  state.background = drawBackground(race, $("plot"));
  state.step = 0;
  state.last = null;
  const legend = $("legend");
  legend.innerHTML = "";
  race.racers.forEach((racer, i) => {
    const item = document.createElement("li");
    const rate = racer.learning_rate === null ? "" : ` (alpha ${racer.learning_rate})`;
    item.innerHTML = `<span class="swatch" style="background:${COLORS[i % COLORS.length]}"></span>` +
      `<span>${racer.label}${rate}</span> <span class="value"></span>`;
    legend.appendChild(item);
  });
  $("note").textContent = race.note || "";
  setStatus(`${race.title}: ${race.steps} steps from (${race.start.map((v) => +v.toPrecision(4)).join(", ")})`);
  setPlaying(true);
  drawFrame();
}

function setPlaying(playing) {
  state.playing = playing;
  $("play").textContent = playing ? "Pause" : "Play";
  state.last = null;
}

function tick(now) {
  if (state.race && state.playing) {
    if (state.last !== null) {
      state.step += (now - state.last) / 1000 * Number($("speed").value);
    }
    state.last = now;
    if (state.step >= state.race.steps) {
      state.step = state.race.steps;
      setPlaying(false);
    }
    drawFrame();
  }
  window.requestAnimationFrame(tick);
}

// -- the data race: loss and accuracy curves side by side ----------------------------------

function drawCurves(canvas, curves, key, title) {
  const ctx = canvas.getContext("2d");
  const area = { x: 46, y: 22, w: canvas.width - 58, h: canvas.height - 54 };
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const all = curves.flatMap((c) => c[key]);
  const epochs = Math.max(1, ...curves.map((c) => c[key].length));
  const lo = key === "accuracy" ? Math.max(0, Math.floor(Math.min(...all) * 10) / 10) : 0;
  const hi = key === "accuracy" ? 1 : Math.max(...all) * 1.05;
  ctx.strokeStyle = "#333";
  ctx.strokeRect(area.x, area.y, area.w, area.h);
  ctx.fillStyle = "#222";
  ctx.font = "12px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.fillText(title, area.x + area.w / 2, 14);
  ctx.fillText("epoch", area.x + area.w / 2, canvas.height - 6);
  for (const v of ticks(1, epochs)) {
    ctx.fillText(String(v), area.x + (v - 1) / Math.max(1, epochs - 1) * area.w, area.y + area.h + 14);
  }
  ctx.textAlign = "right";
  for (const v of ticks(lo, hi, 4)) {
    ctx.fillText(String(v), area.x - 4, area.y + (1 - (v - lo) / (hi - lo)) * area.h + 4);
  }
  curves.forEach((curve, i) => {
    ctx.strokeStyle = COLORS[i % COLORS.length];
    ctx.lineWidth = 2;
    ctx.beginPath();
    curve[key].forEach((v, t) => {
      const px = area.x + t / Math.max(1, epochs - 1) * area.w;
      const py = area.y + (1 - (v - lo) / (hi - lo)) * area.h;
      if (t === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
    });
    ctx.stroke();
  });
}

async function runDataRace() {
  const checked = checkedOptimizers().filter((n) => n in state.choices.data_learning_rates);
  const query = new URLSearchParams({ data: $("data").value, epochs: $("epochs").value });
  if (checked.length) query.set("optimizers", checked.join(","));
  $("data-status").textContent = "training ...";
  try {
    const result = await fetchJson(`${API}/data?${query}`);
    drawCurves($("loss"), result.curves, "loss", "training loss (cross-entropy)");
    drawCurves($("accuracy"), result.curves, "accuracy", "training accuracy");
    $("data-status").innerHTML = result.curves.map((c, i) =>
      `<span style="color:${COLORS[i % COLORS.length]}">&#9632; ${c.label} (alpha ${c.learning_rate})` +
      (c.diverged_at ? ` diverged at epoch ${c.diverged_at}` : "") + "</span>").join(" &nbsp; ");
  } catch (error) {
    $("data-status").textContent = error.message;
  }
}

// -- start ---------------------------------------------------------------------------------

async function init() {
  const settings = settingsFromUrl();
  try {
    const first = await fetchJson(`${API}?${new URLSearchParams(
      Object.fromEntries(Object.entries(settings).filter(([, v]) => v)))}`);
    fillControls(first.choices, settings);
    showRace(first);
  } catch (error) {
    setStatus(error.message, true);
    return;
  }
  $("function").addEventListener("change", () => { resetRates(); runRace(null); });
  $("race").addEventListener("click", () => runRace(state.race ? state.race.start : null));
  $("play").addEventListener("click", () => {
    if (state.race && state.step >= state.race.steps) state.step = 0;
    setPlaying(!state.playing);
  });
  $("restart").addEventListener("click", () => { state.step = 0; setPlaying(true); });
  $("plot").addEventListener("click", (event) => {
    const canvas = $("plot");
    const rect = canvas.getBoundingClientRect();
    const px = (event.clientX - rect.left) * canvas.width / rect.width;
    const py = (event.clientY - rect.top) * canvas.height / rect.height;
    const area = plotArea(canvas);
    if (state.race && px >= area.x && px <= area.x + area.w && py >= area.y && py <= area.y + area.h) {
      runRace(fromCanvas(state.race, area, px, py));
    }
  });
  $("train").addEventListener("click", runDataRace);
  window.requestAnimationFrame(tick);
}

init();
