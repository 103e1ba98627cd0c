// The playground page: sends settings and commands over a WebSocket, draws the frames it gets.
// The training runs in mlplab on the server; this file only draws. No build step, no library.
"use strict";

const $ = (id) => document.getElementById(id);
const DATA_LABELS = {xor: "XOR", circles: "Circles", moons: "Moons", spirals: "Spirals",
  gaussians: "Gaussians", table: "4-row table", plane: "Plane", bumps: "Bumps", csv: "Your CSV"};
const REGRESSION = ["plane", "bumps"];
const CLASS_COLORS = [[245, 147, 34], [8, 119, 189], [46, 160, 67], [200, 60, 160], [120, 90, 200],
  [220, 50, 50], [40, 170, 170], [150, 110, 60], [90, 90, 90], [180, 180, 40]];

const page = {
  socket: null, settings: {}, query: {}, setup: null, frame: null, drawn: true,
  curve: [], playing: false, pending: null,
};

// ---- colours ------------------------------------------------------------------------------
function mix(a, b, t) { return a.map((v, i) => Math.round(v + (b[i] - v) * t)); }
const ORANGE = [245, 147, 34], WHITE = [232, 234, 235], BLUE = [8, 119, 189];
function diverging(code) {  // 0..254 -> orange .. white .. blue
  const t = code / 254;
  return t < 0.5 ? mix(ORANGE, WHITE, t * 2) : mix(WHITE, BLUE, (t - 0.5) * 2);
}
function sequential(code) {  // low loss dark blue .. high loss yellow
  const stops = [[13, 8, 135], [84, 2, 163], [139, 10, 165], [185, 50, 137], [219, 92, 104],
    [244, 136, 73], [254, 188, 43], [240, 249, 33]];
  const x = code / 254 * (stops.length - 1), i = Math.min(Math.floor(x), stops.length - 2);
  return mix(stops[i], stops[i + 1], x - i);
}
function lut(fn) {
  const table = new Uint8ClampedArray(256 * 4);
  for (let c = 0; c < 256; c++) {
    const rgb = c === 255 ? [160, 160, 160] : fn(c);
    table.set([rgb[0], rgb[1], rgb[2], 255], c * 4);
  }
  return table;
}
const DIVERGING = lut(diverging), SEQUENTIAL = lut(sequential);
const PALE = lut((c) => mix(WHITE, diverging(c), 0.62));  // the output behind the points
function classLut(nClasses) {
  return lut((c) => mix(WHITE, CLASS_COLORS[Math.round(c / 254 * (nClasses - 1)) % 10], 0.55));
}

// ---- heatmaps -----------------------------------------------------------------------------
function decode(heatmap) {
  const text = atob(heatmap.data), bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
const scratch = document.createElement("canvas");
function paint(canvas, heatmap, table, smooth = true) {
  const bytes = decode(heatmap), image = new ImageData(heatmap.cols, heatmap.rows);
  for (let i = 0; i < bytes.length; i++) image.data.set(table.subarray(bytes[i] * 4, bytes[i] * 4 + 4), i * 4);
  scratch.width = heatmap.cols; scratch.height = heatmap.rows;
  scratch.getContext("2d").putImageData(image, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = smooth;
  ctx.drawImage(scratch, 0, 0, canvas.width, canvas.height);
  return ctx;
}
function outputLut() {
  const s = page.setup;
  return s && s.task === "multiclass" ? classLut(s.n_classes) : PALE;
}

// ---- the connection -------------------------------------------------------------------------
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  page.socket = socket;
  socket.onopen = () => { say(""); send({type: "settings", query: page.query}); };
  socket.onmessage = (event) => receive(JSON.parse(event.data));
  socket.onclose = () => {
    page.playing = false; showPlaying();
    say("Disconnected from the server; reconnecting…", "warn");
    setTimeout(connect, 1000);
  };
}
function send(message) {
  if (page.socket && page.socket.readyState === WebSocket.OPEN) page.socket.send(JSON.stringify(message));
}
function say(text, kind = "") { const m = $("message"); m.textContent = text; m.className = kind; }

function receive(message) {
  if (message.type === "setup") onSetup(message);
  else if (message.type === "frame" || message.type === "population") onFrame(message);
  else if (message.type === "view") onView(message);
  else if (message.type === "error") onError(message);
  else if (message.type === "file") saveFile(message);
}

function onError(message) {  // the server kept its settings: show them again
  say(message.message, "error");
  if (document.activeElement) document.activeElement.blur();
  if (page.setup) { page.query = {...page.settings.accepted}; fillControls(); }
}

function onSetup(setup) {
  page.setup = setup; page.settings = setup.settings; page.query = setup.query;
  page.settings.accepted = setup.query;
  page.curve = [];
  showQuery(setup.query);
  say("");
  fillControls();
  buildNetwork();
  fillWeightChoices();
  const note = setup.task === "regression" ? "regression" :
    `classification, ${setup.n_classes} classes`;
  $("task-note").textContent = `${note}; loss ${setup.loss}; batch of ${setup.batch_size}`;
}

function showQuery(query) {
  const url = new URL(location.href);
  url.search = new URLSearchParams(query).toString();
  history.replaceState(null, "", url);
}

function showView() {
  const view = page.settings.view;
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("selected", b.dataset.view === view);
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== "view-" + view;
}

function onView(message) {  // only what is looked at changed: the run goes on
  page.settings = message.settings; page.query = message.query;
  page.settings.accepted = message.query;
  showQuery(message.query); showView(); say("");
  $("w1").value = page.settings.w1; $("w2").value = page.settings.w2;
}

function onFrame(frame) {
  page.frame = frame; page.playing = frame.playing;
  if (frame.type === "frame" && frame.curve && frame.curve[1] !== null) {
    const last = page.curve[page.curve.length - 1];
    if (!last || last[0] !== frame.curve[0]) page.curve.push(frame.curve);
    if (page.curve.length > 2000) page.curve = page.curve.filter((_, i) => i % 2 === 0);
  }
  if (frame.diverged) { say(frame.diverged + " (the loss is not finite): lower the learning rate and reset", "warn"); }
  if (page.drawn) { page.drawn = false; requestAnimationFrame(draw); }
}

function saveFile(file) {
  const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([bytes], {type: file.mime}));
  link.download = file.name;
  document.body.appendChild(link); link.click(); link.remove();
  say(`Downloaded ${file.name}`);
}

// ---- settings -----------------------------------------------------------------------------
function change(key, value) {
  page.query = {...page.query, [key]: String(value)};
  send({type: "settings", query: page.query});
}
function changeMany(values) {
  page.query = {...page.query, ...values};
  send({type: "settings", query: page.query});
}

function fillControls() {
  const s = page.settings, setup = page.setup;
  fillSelect($("opt"), Object.keys(setup.hyperparameters), s.opt);
  fillSelect($("loss"), setup.losses, s.loss);
  for (const el of document.querySelectorAll("[data-key]")) {
    const key = el.dataset.key;
    if (el.tagName === "SELECT" && ["opt", "loss", "w1", "w2", "cx", "cy", "label"].includes(key)) continue;
    if (document.activeElement !== el) el.value = s[key];
  }
  $("ratio-value").textContent = s.ratio; $("noise-value").textContent = s.noise;
  // the data sets
  const chips = $("datasets"); chips.innerHTML = "";
  const group = (title) => { const g = document.createElement("div"); g.className = "group"; g.textContent = title; chips.appendChild(g); };
  group("Classification");
  for (const name of setup.data_sets) {
    if (name === "plane") group("Regression");
    if (name === "csv" && !setup.columns) continue;
    const b = document.createElement("button");
    b.textContent = DATA_LABELS[name] || name; b.dataset.data = name;
    if (name === s.data) b.className = "selected";
    b.onclick = () => change("data", name);
    chips.appendChild(b);
  }
  // CSV columns
  $("csv-columns").hidden = !setup.columns;
  if (setup.columns) {
    const c = setup.columns;
    fillSelect($("cx"), c, s.cx || c[0]); fillSelect($("cy"), c, s.cy || c[1]);
    fillSelect($("label"), c, s.label || c[c.length - 1]);
  }
  // features
  const features = $("features"); features.innerHTML = "";
  const chosen = s.features.split(",");
  for (const [name, label] of Object.entries(setup.feature_names)) {
    const l = document.createElement("label"), box = document.createElement("input");
    box.type = "checkbox"; box.checked = chosen.includes(name); box.dataset.feature = name;
    box.onchange = () => {
      const names = [...features.querySelectorAll("input:checked")].map((x) => x.dataset.feature);
      change("features", names.join(","));
    };
    l.append(box, " " + label); features.appendChild(l);
  }
  // the optimizer's hyperparameters
  const hp = $("hyperparameters"); hp.innerHTML = "";
  const given = Object.fromEntries(s.hp ? s.hp.split(",").map((p) => p.split(":")) : []);
  for (const [name, value] of Object.entries(setup.hyperparameters[s.opt] || {})) {
    const l = document.createElement("label"), input = document.createElement("input");
    if (typeof value === "boolean") {  // an on/off option (amsgrad, nesterov): 1 or 0 in the URL
      input.type = "checkbox"; input.checked = name in given ? Number(given[name]) !== 0 : value;
    } else {
      input.type = "number"; input.step = "any"; input.value = name in given ? given[name] : value;
    }
    input.dataset.hp = name;
    input.onchange = () => {
      const valueOf = (x) => (x.type === "checkbox" ? Number(x.checked) : x.value);
      const pairs = [...hp.querySelectorAll("input")].filter((x) => valueOf(x) !== "" &&
        Number(valueOf(x)) !== Number(setup.hyperparameters[s.opt][x.dataset.hp]))
        .map((x) => `${x.dataset.hp}:${valueOf(x)}`);
      change("hp", pairs.join(","));
    };
    l.append(name, input); hp.appendChild(l);
  }
  showView();
  $("layer-count").textContent = setup.sizes.length - 2;
}
function fillSelect(select, options, value) {
  select.innerHTML = "";
  for (const option of options) {
    const o = document.createElement("option"); o.value = o.textContent = option; select.appendChild(o);
  }
  select.value = value;
}

function layersOf() { return page.settings.layers ? page.settings.layers.split(",").map(Number) : []; }
function activationsOf() { return page.setup.activations.slice(0, -1); }
function setLayers(layers, acts) {
  changeMany({layers: layers.join(","), act: acts.join(",")});
}

// ---- the network --------------------------------------------------------------------------
function neuronSize() {
  const most = Math.max(...page.setup.sizes.slice(0, -1));
  return Math.max(10, Math.min(40, Math.floor(330 / most) - 6));
}
function buildNetwork() {
  const setup = page.setup, host = $("layers"); host.innerHTML = "";
  const size = neuronSize(), layers = layersOf(), acts = activationsOf();
  const column = (controls) => {
    const c = document.createElement("div"); c.className = "layer";
    const k = document.createElement("div"); k.className = "controls"; if (controls) controls(k);
    c.appendChild(k); host.appendChild(c); return c;
  };
  const inputs = column((k) => { k.textContent = "inputs"; });
  for (const label of setup.features) {
    const n = document.createElement("div"); n.className = "input-node neuron-slot";
    n.style.width = `${Math.max(size, 54)}px`; n.style.height = `${size}px`; n.textContent = label;
    inputs.appendChild(n);
  }
  layers.forEach((count, l) => {
    const c = column((k) => {
      const pm = document.createElement("div"); pm.className = "plusminus";
      const plus = document.createElement("button"), minus = document.createElement("button");
      plus.className = minus.className = "round"; plus.textContent = "+"; minus.textContent = "−";
      plus.title = "Add a neuron"; minus.title = "Remove a neuron";
      plus.onclick = () => { const n = [...layers]; n[l] += 1; setLayers(n, acts); };
      minus.onclick = () => { if (layers[l] > 1) { const n = [...layers]; n[l] -= 1; setLayers(n, acts); } };
      pm.append(plus, minus);
      const sel = document.createElement("select"); sel.className = "activation";
      fillSelect(sel, ["tanh", "sigmoid", "relu", "leaky_relu", "linear"], acts[l]);
      sel.onchange = () => { const a = [...acts]; a[l] = sel.value; setLayers(layers, a); };
      k.append(pm, `${count} neuron${count === 1 ? "" : "s"}`, sel);
    });
    for (let i = 0; i < count; i++) {
      const n = document.createElement("canvas"); n.className = "neuron neuron-slot";
      n.width = n.height = 24; n.style.width = n.style.height = `${size}px`; c.appendChild(n);
    }
  });
  const out = column((k) => { k.textContent = "output"; });
  const o = document.createElement("canvas"); o.className = "neuron neuron-slot"; o.id = "output-node";
  o.width = o.height = 24; o.style.width = o.style.height = `${Math.max(size, 30)}px`; out.appendChild(o);
  page.linksDrawnAt = 0;
  requestAnimationFrame(() => drawLinks(true));
}

function slotCenters() {
  const box = $("network").getBoundingClientRect();
  return [...$("layers").children].map((c) => [...c.querySelectorAll(".neuron-slot")].map((n) => {
    const r = n.getBoundingClientRect();
    return [r.left - box.left + r.width / 2, r.top - box.top + r.height / 2, r.width / 2];
  }));
}
function drawLinks(rebuild) {
  const svg = $("links"), frame = page.frame;
  if (rebuild || !page.centers) {
    page.centers = slotCenters(); svg.innerHTML = ""; page.lines = [];
    const c = page.centers;
    for (let l = 0; l + 1 < c.length; l++) {
      const layer = [];
      for (const a of c[l]) {
        const row = [];
        for (const b of c[l + 1]) {
          const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
          line.setAttribute("x1", a[0] + a[2]); line.setAttribute("y1", a[1]);
          line.setAttribute("x2", b[0] - b[2]); line.setAttribute("y2", b[1]);
          line.setAttribute("stroke", "#ccc"); svg.appendChild(line); row.push(line);
        }
        layer.push(row);
      }
      page.lines.push(layer);
    }
  }
  if (!frame || frame.type !== "frame" || !frame.weights) return;
  frame.weights.forEach((W, l) => {
    const lines = page.lines[l]; if (!lines || lines.length !== W.length) return;
    W.forEach((row, i) => row.forEach((w, j) => {
      const line = lines[i][j]; if (!line) return;
      const size = w === null ? 0 : Math.abs(w);
      line.setAttribute("stroke", w === null ? "#999" : w >= 0 ? "#0877bd" : "#f59322");
      line.setAttribute("stroke-width", Math.min(0.5 + size * 1.5, 6).toFixed(2));
      line.setAttribute("stroke-opacity", Math.min(0.25 + size * 0.5, 0.95).toFixed(2));
    }));
  });
}

// ---- drawing ------------------------------------------------------------------------------
function draw() {
  page.drawn = true;
  const frame = page.frame; if (!frame || !page.setup) return;
  $("iteration").textContent = frame.iteration.toLocaleString("en");
  showPlaying();
  if (frame.type === "population") { drawMembers(frame); return; }
  $("epoch").textContent = frame.epoch;
  $("test-loss").textContent = fmt(frame.test_loss); $("train-loss").textContent = fmt(frame.train_loss);
  drawBoundary(frame);
  drawNeurons(frame);
  const many = page.lines && page.lines.flat(2).length > 1500;
  if (!many || ++page.linksDrawnAt % 4 === 0) drawLinks(false);
  drawChart();
  if (frame.surface) drawSurface(frame.surface);
  if (frame.directions) drawDirections(frame.directions);
}
function fmt(x) { return x === null || x === undefined ? "–" : x.toFixed(4); }
function showPlaying() { $("play").innerHTML = page.playing ? "&#10074;&#10074; Pause" : "&#9654; Play"; }

function toPixel(canvas, x, y) {
  const d = page.setup.domain;
  return [(x - d[0]) / (d[1] - d[0]) * canvas.width, (d[3] - y) / (d[3] - d[2]) * canvas.height];
}
function pointColor(label) {
  const s = page.setup;
  if (s.task === "regression") {
    const [lo, hi] = s.y_range, t = hi > lo ? (label - lo) / (hi - lo) : 0.5;
    return `rgb(${diverging(Math.round(Math.min(Math.max(t, 0), 1) * 254)).join(",")})`;
  }
  if (s.task === "multiclass") return `rgb(${CLASS_COLORS[label % 10].join(",")})`;
  return label >= 1 ? "#0877bd" : "#f59322";
}
function drawBoundary(frame) {
  const canvas = $("boundary"), ctx = paint(canvas, frame.boundary, outputLut());
  const points = (list, stroke) => {
    for (const [x, y, label] of list) {
      const [px, py] = toPixel(canvas, x, y);
      ctx.beginPath(); ctx.arc(px, py, 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = pointColor(label); ctx.fill();
      ctx.lineWidth = 1; ctx.strokeStyle = stroke; ctx.stroke();
    }
  };
  points(page.setup.train, "#fff");
  if ($("show-test").checked) points(page.setup.test, "#000");
  const d = page.setup.domain, names = page.setup.axis_names;
  ctx.fillStyle = "rgba(0,0,0,0.6)"; ctx.font = "11px system-ui";
  ctx.fillText(`${names[0]} ${d[0].toFixed(1)} … ${d[1].toFixed(1)}`, 4, canvas.height - 4);
  ctx.save(); ctx.translate(12, canvas.height - 90); ctx.rotate(-Math.PI / 2);
  ctx.fillText(`${names[1]}`, 0, 0); ctx.restore();
}
function drawNeurons(frame) {
  const columns = [...$("layers").children];
  frame.neurons.forEach((maps, l) => {
    const canvases = columns[l + 1] ? columns[l + 1].querySelectorAll("canvas") : [];
    maps.forEach((heatmap, k) => { if (canvases[k]) paint(canvases[k], heatmap, DIVERGING); });
  });
  const out = $("output-node"); if (out) paint(out, frame.boundary, DIVERGING);
}
function drawChart() {
  const canvas = $("chart"), ctx = canvas.getContext("2d"), curve = page.curve;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (curve.length < 2) return;
  const values = curve.flatMap((c) => [c[1], c[2]]).filter((v) => v !== null);
  const top = Math.max(...values) * 1.05 || 1, x0 = curve[0][0], x1 = curve[curve.length - 1][0] || 1;
  const line = (k, color) => {
    ctx.beginPath(); ctx.strokeStyle = color; ctx.lineWidth = 1.5;
    curve.forEach((c, i) => {
      const x = (c[0] - x0) / Math.max(x1 - x0, 1) * (canvas.width - 4) + 2, y = canvas.height - 4 - c[k] / top * (canvas.height - 16);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  };
  line(1, "#999"); line(2, "#111");
  ctx.fillStyle = "#555"; ctx.font = "11px system-ui";
  ctx.fillText(`loss (max ${top.toPrecision(3)}) — test: black, training: grey`, 6, 12);
}
function drawSurface(surface) {
  const canvas = $("surface"), ctx = paint(canvas, surface.image, SEQUENTIAL);
  const [x0, x1] = surface.x, [y0, y1] = surface.y;
  const px = (p) => [(p[0] - x0) / (x1 - x0) * canvas.width, (y1 - p[1]) / (y1 - y0) * canvas.height];
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 2; ctx.beginPath();
  surface.path.forEach((p, i) => { const [x, y] = px(p); if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y); });
  ctx.stroke();
  if (surface.path.length) {
    const [x, y] = px(surface.path[surface.path.length - 1]);
    ctx.fillStyle = "#e0245e"; ctx.beginPath(); ctx.arc(x, y, 5, 0, 2 * Math.PI); ctx.fill();
  }
  const names = ["w1", "w2"].map((k) => ($(k).selectedOptions[0] || {}).textContent || k);
  ctx.fillStyle = "#fff"; ctx.font = "12px system-ui";
  ctx.fillText(`${names[0]} → (${x0.toFixed(2)} … ${x1.toFixed(2)})`, 6, canvas.height - 6);
  ctx.save(); ctx.translate(14, canvas.height - 10); ctx.rotate(-Math.PI / 2);
  ctx.fillText(`${names[1]} → (${y0.toFixed(2)} … ${y1.toFixed(2)})`, 0, 0); ctx.restore();
  $("surface-note").textContent = `colour: log10 of the ${surface.loss} loss, from ${surface.image.low} (dark) to ${surface.image.high} (bright)`;
}
function drawDirections(directions) {
  const host = $("directions");
  if (directions.too_many) { host.textContent = "Too many weights to draw."; return; }
  const top = Math.max(directions.max, 1);
  if (host.children.length !== directions.counts.length * 2) {
    host.innerHTML = "";
    directions.counts.forEach((m, l) => {
      const title = document.createElement("div"); title.className = "hint";
      title.textContent = `layer ${l + 1}: ${m.length} × ${m[0].length} weights`;
      const canvas = document.createElement("canvas");
      const cell = Math.max(6, Math.min(44, Math.floor(360 / Math.max(m[0].length, m.length))));
      canvas.width = m[0].length * cell; canvas.height = m.length * cell; canvas.dataset.cell = cell;
      host.append(title, canvas);
    });
  }
  const canvases = host.querySelectorAll("canvas");
  directions.counts.forEach((m, l) => {
    const canvas = canvases[l], ctx = canvas.getContext("2d"), cell = Number(canvas.dataset.cell);
    m.forEach((row, i) => row.forEach((count, j) => {
      const rgb = sequential(Math.round(count / top * 254));
      ctx.fillStyle = `rgb(${rgb.join(",")})`; ctx.fillRect(j * cell, i * cell, cell, cell);
      if (cell >= 30) {
        ctx.fillStyle = count / top > 0.6 ? "#000" : "#fff"; ctx.font = "11px system-ui";
        ctx.fillText(String(count), j * cell + 3, i * cell + cell / 2 + 4);
      }
    }));
  });
}
function drawMembers(frame) {
  const host = frame.kind === "restarts" ? $("restarts-grid") : $("sweep-grid");
  if (host.children.length !== frame.members.length) {
    host.innerHTML = "";
    for (let k = 0; k < frame.members.length; k++) {
      const card = document.createElement("div"); card.className = "member";
      const canvas = document.createElement("canvas"); canvas.width = canvas.height = 110;
      const text = document.createElement("div");
      card.append(canvas, text); host.appendChild(card);
    }
  }
  frame.members.forEach((m, k) => {
    const card = host.children[k], canvas = card.querySelector("canvas");
    const ctx = paint(canvas, m.boundary, outputLut());
    for (const [x, y, label] of page.setup.train) {
      const [px, py] = toPixel(canvas, x, y);
      ctx.fillStyle = pointColor(label); ctx.fillRect(px - 1, py - 1, 2, 2);
    }
    card.classList.toggle("best", frame.best === k);
    card.querySelector("div").innerHTML = `<b>${m.label}</b><br>test ${fmt(m.test_loss)} · train ${fmt(m.train_loss)}` +
      (m.diverged ? `<br><span class="bad">${m.diverged}</span>` : "");
  });
}

// ---- controls -----------------------------------------------------------------------------
function fillWeightChoices() {
  const sizes = page.setup.sizes, options = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    for (let i = 0; i < sizes[l]; i++) for (let j = 0; j < sizes[l + 1]; j++)
      options.push([`${2 * l}:${i}:${j}`, `layer ${l + 1} W[${i}, ${j}]`]);
    for (let j = 0; j < sizes[l + 1]; j++) options.push([`${2 * l + 1}:${j}:0`, `layer ${l + 1} b[${j}]`]);
  }
  for (const key of ["w1", "w2"]) {
    const select = $(key); select.innerHTML = "";
    for (const [value, label] of options.slice(0, 2000)) {
      const o = document.createElement("option"); o.value = value; o.textContent = label; select.appendChild(o);
    }
    select.value = page.settings[key];
  }
}

function wire() {
  for (const el of document.querySelectorAll("[data-key]")) {
    el.addEventListener("change", () => change(el.dataset.key, el.value));
  }
  $("opt").addEventListener("change", () => changeMany({opt: $("opt").value, hp: ""}));
  $("ratio").addEventListener("input", () => { $("ratio-value").textContent = $("ratio").value; });
  $("noise").addEventListener("input", () => { $("noise-value").textContent = $("noise").value; });
  $("play").onclick = () => send({type: page.playing ? "pause" : "play"});
  $("step").onclick = () => send({type: "step"});
  $("reset").onclick = () => { page.curve = []; send({type: "reset"}); };
  $("show-test").onchange = () => draw();
  $("add-layer").onclick = () => {
    const layers = layersOf(), acts = activationsOf();
    setLayers([...layers, layers.length ? layers[layers.length - 1] : 4], [...acts, acts.length ? acts[acts.length - 1] : "tanh"]);
  };
  $("remove-layer").onclick = () => { const l = layersOf(); if (l.length) setLayers(l.slice(0, -1), activationsOf().slice(0, -1)); };
  for (const b of document.querySelectorAll("#tabs button")) b.onclick = () => change("view", b.dataset.view);
  for (const b of document.querySelectorAll("[data-download]")) b.onclick = () => { say("Preparing the download…"); send({type: "download", what: b.dataset.download}); };
  $("upload").addEventListener("change", async () => {
    const file = $("upload").files[0]; if (!file) return;
    if (file.size > 2000000) { say(`${file.name} is ${file.size} bytes: at most 2 MB can be uploaded`, "error"); return; }
    send({type: "upload", name: file.name, content: await file.text()});
    $("upload").value = "";
  });
  window.addEventListener("resize", () => requestAnimationFrame(() => drawLinks(true)));
}

page.query = Object.fromEntries(new URLSearchParams(location.search));
wire();
connect();
