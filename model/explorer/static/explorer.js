/* lbp-headache explorer: the page. Plain JavaScript and the vendored uPlot; the model runs
   on the local server (POST /api/run), which answers every slider move with the whole run. */
"use strict";

const COLORS = {
  headache_tension_type: "#0072B2", headache_cervicogenic: "#56B4E9",
  headache_migraine: "#D55E00", headache_sensitization: "#882E72",
  mechanical: "#0072B2", neurological: "#882E72", inflammatory: "#D55E00",
  lumbar: "#000000", threshold: "#882E72", treatment: "rgba(0, 158, 115, 0.18)",
  treatmentEdge: "#00583F",
};
const COMPONENTS = [  // bottom to top of the stack
  ["headache_tension_type", "tension-type"], ["headache_cervicogenic", "cervicogenic"],
  ["headache_migraine", "migraine-like"], ["headache_sensitization", "sensitization"],
];
const PATHWAYS = ["mechanical", "neurological", "inflammatory"];
const TREATMENTS = [
  ["physical_therapy", "Physical therapy"], ["ergonomics", "Ergonomic changes"],
  ["nsaid", "Anti-inflammatory drug (NSAID)"], ["neuropathic_medication", "Neuropathic medication"],
];
const DOSES = {  // slider range and step, mg/day
  nsaid: [200, 2400, 100], duloxetine: [20, 120, 10], pregabalin: [75, 600, 25],
  gabapentin: [300, 3600, 100], amitriptyline: [10, 75, 5],
};

const state = {
  meta: null, settings: null, preset: null, baseline: null, baselineName: "",
  last: null, inflight: false, pending: false, seq: 0, inputs: [], charts: {},
  hysteresisTimer: null, cursorAtEnd: true,
};
// What tests and benchmarks read: latencies (ms) from a control's input to the painted result.
const explorer = window.lbpExplorer = {latencies: [], rendered: 0, state};

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
};
const svg = (tag, attrs = {}) => {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
};
const fmt = (v, digits = 3) => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(digits)).toString());
const months = (days) => days / state.meta.month_days;

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error((answer.problems || ["request failed"]).join("\n"));
  return answer;
}

function showProblems(text) { $("problems").textContent = text || ""; }

/* ---------------- controls ---------------- */

function slider({label, unit, low, high, step, value, onInput, reset, name, title}) {
  const input = el("input", {type: "range", min: low, max: high, step, value});
  const shown = el("span", {class: "value"}, fmt(value) + (unit ? " " + unit : ""));
  const show = (v) => { shown.textContent = fmt(v) + (unit ? " " + unit : ""); };
  input.addEventListener("input", () => {
    const v = Number(Number(input.value).toPrecision(8));  // no float noise from the step grid
    show(v);
    onInput(v);
  });
  const head = el("div", {class: "head"}, el("span", {class: name ? "name" : ""}, label), shown);
  if (reset !== undefined) {
    head.append(el("button", {class: "reset", type: "button", title: `reset to ${fmt(reset)}`,
      "aria-label": `reset ${label}`, onclick: () => {
        input.value = reset;  // the slider shows the nearest step; the value is the default itself
        show(reset);
        onInput(reset);
      }}, "↺"));
  }
  const control = el("div", {class: "control"}, head, input,
    el("div", {class: "range"}, el("span", {}, fmt(low)), el("span", {}, fmt(high))));
  if (name) { control.dataset.parameter = name; input.dataset.parameter = name; }
  if (title) control.title = title;
  return control;
}

// A round step with at least 100 positions (0.2–3 moves by 0.01), so round values are reachable.
const niceStep = (span) => 10 ** Math.floor(Math.log10(span / 100));

function changed() {  // any control moved: time it and run
  explorer.pendingInputs = explorer.pendingInputs || [];
  explorer.pendingInputs.push({seq: ++state.seq, t0: performance.now()});
  scheduleRun();
  if (!$("panel-hysteresis").hidden) scheduleHysteresis();
}

function buildParameters() {
  const root = $("groups");
  root.replaceChildren();
  const params = state.meta.parameters;
  for (const group of state.meta.groups) {
    const box = el("details", {class: `group group-${group.colour}`, open: ""},
      el("summary", {}, group.title));
    const add = (parent, name) => {
      const p = params[name];
      const current = name in state.settings.parameters ? state.settings.parameters[name] : p.value;
      parent.append(slider({
        label: name, name, unit: p.unit === "1" ? "" : p.unit, low: p.low, high: p.high,
        step: niceStep(p.high - p.low), value: current, reset: p.value, title: p.meaning,
        onInput: (v) => {
          if (Math.abs(v - p.value) <= 1e-12 * Math.max(1, Math.abs(p.value))) delete state.settings.parameters[name];
          else state.settings.parameters[name] = v;
          changed();
        },
      }));
    };
    group.main.forEach((name) => add(box, name));
    if (group.more.length) {
      const more = el("details", {class: "more"}, el("summary", {}, `${group.more.length} more`));
      group.more.forEach((name) => add(more, name));
      box.append(more);
    }
    root.append(box);
  }
}

function profileControls(key, title, maxValue, presetProfile) {
  const s = state.settings;
  const profile = s[key];
  const wrap = el("div", {class: "profile", "data-profile": key});
  const kinds = key === "lumbar_pain"
    ? [["natural_history:persistent", "persistent (published course)"],
       ["natural_history:acute_recovering", "acute, recovering (published course)"],
       ["constant", "constant"], ["episode", "an episode, then none"]]
    : [["constant", "constant"]];
  if (presetProfile && presetProfile.kind === "points") kinds.push(["points", "as in the preset"]);
  const current = profile.kind === "natural_history" ? `natural_history:${profile.course}` : profile.kind;
  const select = el("select", {"aria-label": `${title} course`});
  for (const [value, label] of kinds) {
    const option = el("option", {value}, label);
    if (value === current) option.selected = true;
    select.append(option);
  }
  select.addEventListener("change", () => {
    const [kind, course] = select.value.split(":");
    const level = levelOf(profile, maxValue);
    if (kind === "natural_history") s[key] = {kind, course, scale: 1};
    else if (kind === "constant") s[key] = {kind, value: level};
    else if (kind === "episode") s[key] = {kind, value: level, until: 6 * state.meta.month_days};
    else s[key] = JSON.parse(JSON.stringify(presetProfile));
    buildInputs(); changed();
  });
  wrap.append(el("div", {class: "control"}, el("div", {class: "head"}, el("span", {}, title)), select));
  const p = s[key];
  if (p.kind === "natural_history") {
    wrap.append(slider({label: "× the published course", low: 0.2, high: 1.9, step: 0.05,
      value: p.scale, reset: 1, onInput: (v) => { p.scale = v; changed(); }}));
  } else if (p.kind === "constant" || p.kind === "episode") {
    wrap.append(slider({label: `level (0–${maxValue})`, low: 0, high: maxValue,
      step: maxValue / 100, value: p.value, onInput: (v) => { p.value = v; changed(); }}));
  }
  if (p.kind === "episode") {
    wrap.append(slider({label: "until month", low: 0.5, high: 24, step: 0.5,
      value: months(p.until), onInput: (v) => { p.until = v * state.meta.month_days; changed(); }}));
  }
  return wrap;
}

function levelOf(profile, maxValue) {
  if (profile.kind === "constant" || profile.kind === "episode") return profile.value;
  if (profile.kind === "natural_history") return Math.min(maxValue, 5 * profile.scale);
  if (profile.kind === "points") return profile.points[0][1];
  return 0;
}

function buildInputs() {
  const root = $("inputs");
  root.replaceChildren();
  const s = state.settings;
  const preset = state.preset ? state.preset.settings : null;
  root.append(slider({label: "duration (months)", low: 3, high: 36, step: 1,
    value: Math.round(months(s.duration) * 2) / 2,
    onInput: (v) => { s.duration = v * state.meta.month_days; changed(); }}));
  root.append(profileControls("lumbar_pain", "back pain (0–10)", 10, preset && preset.lumbar_pain));
  root.append(profileControls("disc_degeneration", "disc degeneration (0–1)", 1,
    preset && preset.disc_degeneration));
  root.append(profileControls("ergonomic_load", "desk load (0–1)", 1, preset && preset.ergonomic_load));
}

function treatmentOf(type) { return state.settings.treatments.find((t) => t.type === type); }

function buildTreatments() {
  const root = $("treatments");
  root.replaceChildren();
  const params = state.meta.parameters;
  for (const [type, title] of TREATMENTS) {
    const course = treatmentOf(type);
    const box = el("div", {class: "treatment" + (course ? " on" : ""), "data-treatment": type});
    const toggle = el("input", {type: "checkbox", id: `toggle-${type}`});
    toggle.checked = Boolean(course);
    toggle.addEventListener("change", () => {
      const list = state.settings.treatments;
      if (toggle.checked) {
        const fresh = {type, start: Math.min(6 * state.meta.month_days, state.settings.duration / 2),
          stop: null, adherence: 1, intensity: 1, dose: null, drug: null, label: ""};
        if (type === "neuropathic_medication") { fresh.drug = "duloxetine"; fresh.dose = 60; }
        if (type === "nsaid") fresh.dose = params.nsaid_standard_dose.value;
        list.push(fresh);
      } else {
        state.settings.treatments = list.filter((t) => t.type !== type);
      }
      buildTreatments(); changed();
    });
    box.append(el("label", {for: `toggle-${type}`}, toggle, " ", title));
    if (course) box.append(treatmentSettings(course));
    root.append(box);
  }
  const others = state.settings.other_treatments || [];
  $("other-treatments").textContent = others.length
    ? `Also in this scenario (kept as they are): ${others.map((t) => t.label || t.parameter || t.type).join(", ")}.`
    : "";
}

function treatmentSettings(course) {
  const box = el("div", {class: "settings"});
  const md = state.meta.month_days;
  box.append(slider({label: "starts at month", low: 0, high: 36, step: 0.5,
    value: Math.round(months(course.start) * 2) / 2,
    onInput: (v) => {
      const length = course.stop === null ? null : course.stop - course.start;
      course.start = v * md;
      if (length !== null) course.stop = course.start + length;
      changed();
    }}));
  const length = course.stop === null ? 0 : months(course.stop - course.start);
  box.append(slider({label: "lasts (months; 0 = to the end)", low: 0, high: 24, step: 0.5,
    value: Math.round(length * 2) / 2,
    onInput: (v) => { course.stop = v === 0 ? null : course.start + v * md; changed(); }}));
  box.append(slider({label: "adherence", low: 0, high: 1, step: 0.05, value: course.adherence,
    onInput: (v) => { course.adherence = v; changed(); }}));
  if (course.type === "physical_therapy" || course.type === "ergonomics") {
    box.append(slider({label: "intensity", low: 0, high: 1, step: 0.05, value: course.intensity,
      onInput: (v) => { course.intensity = v; changed(); }}));
  }
  if (course.type === "neuropathic_medication") {
    const select = el("select", {"aria-label": "drug"});
    for (const drug of state.meta.drugs) {
      const option = el("option", {value: drug}, drug);
      if (drug === course.drug) option.selected = true;
      select.append(option);
    }
    select.addEventListener("change", () => {
      course.drug = select.value;
      course.dose = state.meta.parameters[`${course.drug}_standard_dose`].value;
      buildTreatments(); changed();
    });
    box.append(el("div", {class: "control"}, select));
  }
  if (course.type === "nsaid" || course.type === "neuropathic_medication") {
    const [low, high, step] = DOSES[course.type === "nsaid" ? "nsaid" : course.drug];
    const standard = state.meta.parameters[course.type === "nsaid" ? "nsaid_standard_dose"
      : `${course.drug}_standard_dose`].value;
    box.append(slider({label: "dose", unit: "mg/day", low, high, step,
      value: course.dose === null ? standard : course.dose, reset: standard,
      onInput: (v) => { course.dose = v; changed(); }}));
  }
  return box;
}

function applySettings(settings, preset) {
  state.settings = JSON.parse(JSON.stringify(settings));
  state.settings.parameters = state.settings.parameters || {};
  state.settings.treatments = state.settings.treatments || [];
  state.preset = preset || null;
  $("question").textContent = preset ? preset.question : "";
  buildInputs(); buildTreatments(); buildParameters();
  changed();
}

/* ---------------- running ---------------- */

function scheduleRun() {
  if (state.inflight) { state.pending = true; return; }
  runNow();
}

async function runNow() {
  state.inflight = true;
  const seq = state.seq;
  try {
    const body = {settings: state.settings};
    if (state.baseline) body.baseline = state.baseline;
    const answer = await api("/api/run", body);
    state.last = answer;
    render(answer);
    showProblems("");
    requestAnimationFrame(() => {  // the frame that paints the result
      const now = performance.now();
      const done = (explorer.pendingInputs || []).filter((x) => x.seq <= seq);
      explorer.pendingInputs = (explorer.pendingInputs || []).filter((x) => x.seq > seq);
      for (const x of done) explorer.latencies.push(now - x.t0);
      explorer.rendered = seq;
    });
  } catch (error) {
    showProblems(error.message);
  } finally {
    state.inflight = false;
    if (state.pending) { state.pending = false; runNow(); }
  }
}

/* ---------------- figures ---------------- */

function chartWidth(id) { return Math.max(320, $(id).clientWidth || 700); }

function treatmentHook(getWindows) {
  return {
    drawClear: [(u) => {
      const ctx = u.ctx;
      ctx.save();
      ctx.fillStyle = COLORS.treatment;
      for (const w of getWindows()) {
        const x0 = u.valToPos(months(w.start), "x", true);
        const x1 = u.valToPos(months(w.stop), "x", true);
        ctx.fillRect(x0, u.bbox.top, Math.max(1, x1 - x0), u.bbox.height);
      }
      ctx.restore();
    }],
    draw: [(u) => {
      const ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = COLORS.treatmentEdge;
      ctx.lineWidth = 2.5 * devicePixelRatio;
      const end = state.last ? state.last.run.days[state.last.run.days.length - 1] : Infinity;
      for (const w of getWindows()) {
        for (const [t, dash] of [[w.start, []], [w.stop, [6, 5]]]) {
          if (t >= end && dash.length) continue;  // a course to the end has no end line
          const x = u.valToPos(months(t), "x", true);
          ctx.setLineDash(dash.map((d) => d * devicePixelRatio));
          ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
        }
      }
      ctx.restore();
    }],
  };
}

const windowsNow = () => (state.last ? state.last.run.treatments : []);
const xRange = () => [0, state.last ? months(state.last.run.days[state.last.run.days.length - 1]) : 12];
const axis = (label, extra = {}) => ({label, labelSize: 22, size: 48, font: "13px sans-serif",
  labelFont: "bold 13px sans-serif", ...extra});

function headacheChart() {
  const series = [{label: "month"}];
  const stack = [...COMPONENTS].reverse();  // top first: each fill paints over the one above it
  for (const [name, label] of stack) {
    series.push({label, stroke: COLORS[name], fill: COLORS[name], width: 1,
      value: (u, v, si, i) => (i === null || !state.last ? "–" : fmt(state.last.run.columns[name][i]))});
  }
  series.push({label: "total", stroke: "#333", width: 1.5, value: (u, v) => (v === null ? "–" : fmt(v))});
  series.push({label: "A: total", stroke: "#000", width: 2.5, dash: [8, 6], show: true,
    value: (u, v) => (v === null ? "–" : fmt(v))});
  return new uPlot({
    width: chartWidth("chart-headache"), height: 280, series,
    scales: {x: {time: false, range: xRange}, y: {range: [0, 10]}},
    axes: [axis("time (months)"), axis("headache load (0–10)")],
    legend: {live: true}, hooks: treatmentHook(windowsNow), cursor: {drag: {x: false, y: false}},
  }, [[0], [0], [0], [0], [0], [0], [null]], $("chart-headache"));
}

function painChart() {
  return new uPlot({
    width: chartWidth("chart-pain"), height: 220,
    series: [{label: "month"},
      {label: "lumbar pain", stroke: COLORS.lumbar, width: 2.5, scale: "pain", dash: [8, 5]},
      {label: "pain threshold", stroke: COLORS.threshold, width: 3, scale: "threshold"},
      {label: "A: threshold", stroke: "#000", width: 2, scale: "threshold", dash: [3, 4]}],
    scales: {x: {time: false, range: xRange}, pain: {range: [0, 10]}, threshold: {range: [0, 1]}},
    axes: [axis("time (months)"), axis("lumbar pain (0–10)", {scale: "pain"}),
      axis("pain threshold", {scale: "threshold", side: 1, grid: {show: false}})],
    hooks: treatmentHook(windowsNow), cursor: {drag: {x: false, y: false}},
  }, [[0], [0], [0], [null]], $("chart-pain"));
}

function daysChart() {
  return new uPlot({
    width: chartWidth("chart-days"), height: 220,
    series: [{label: "month"},
      {label: "headache days", stroke: "#333", fill: "rgba(136, 46, 114, 0.55)", width: 1,
        paths: uPlot.paths.bars({size: [0.7, 60]}), points: {show: false}},
      {label: "A: headache days", stroke: "#000", width: 0, paths: () => null,
        points: {show: true, size: 11, fill: "#000"}}],
    scales: {x: {time: false, range: xRange}, y: {range: [0, 28]}},
    axes: [axis("time (months)"), axis("days per 28")],
    hooks: {draw: [(u) => {  // the ICHD-3 line of chronic headache
      const y = u.valToPos(15, "y", true);
      const ctx = u.ctx; ctx.save(); ctx.setLineDash([4, 4]); ctx.strokeStyle = "#555";
      ctx.beginPath(); ctx.moveTo(u.bbox.left, y); ctx.lineTo(u.bbox.left + u.bbox.width, y);
      ctx.stroke(); ctx.restore();
    }]},
    cursor: {drag: {x: false, y: false}},
  }, [[0], [0], [null]], $("chart-days"));
}

function render(answer) {
  const run = answer.run;
  const base = answer.baseline || null;
  const c = run.columns;
  const x = run.days.map(months);
  // Cumulative components, top first (see headacheChart).
  const cumulative = [];
  let acc = new Array(x.length).fill(0);
  for (const [name] of COMPONENTS) {
    acc = acc.map((v, i) => v + c[name][i]);
    cumulative.push(acc);
  }
  cumulative.reverse();
  const aTotal = base ? alignTo(run.days, base.days, base.columns.headache) : x.map(() => null);
  for (const [chart, index] of [[state.charts.headache, 6], [state.charts.pain, 3], [state.charts.days, 2]]) {
    if (chart.series[index].show !== Boolean(base)) chart.setSeries(index, {show: Boolean(base)});
  }
  state.charts.headache.setData([x, ...cumulative, c.headache, aTotal]);
  const aThreshold = base ? alignTo(run.days, base.days, base.columns.pain_threshold) : x.map(() => null);
  state.charts.pain.setData([x, c.lumbar_pain, c.pain_threshold, aThreshold]);
  const mid = run.monthly.map((w) => months((w.start_day + w.end_day) / 2));
  const aDays = run.monthly.map((w, i) => (base && base.monthly[i] ? base.monthly[i].headache_days : null));
  state.charts.days.setData([mid, run.monthly.map((w) => w.headache_days), aDays]);
  $("a-legend").hidden = $("a-days-legend").hidden = !base;

  const m = run.metrics;
  const days = $("readout-days");
  days.textContent = m.headache_days_per_month.toFixed(1);
  days.dataset.value = String(m.headache_days_per_month);
  for (const p of PATHWAYS) $(`readout-${p}`).textContent = m.days_by_pathway[p].toFixed(1);
  $("readout-mean").textContent = m.mean_headache.toFixed(2);
  $("readout-threshold").textContent = m.min_pain_threshold.toFixed(2);
  renderAB(answer);
  const cursor = $("cursor");
  cursor.max = String(run.days.length - 1);
  if (state.cursorAtEnd || Number(cursor.value) > run.days.length - 1) cursor.value = cursor.max;
  renderDiagram();
}

function alignTo(days, otherDays, values) {  // A on B's days (null where A did not run)
  const start = otherDays[0];
  return days.map((d) => {
    const i = Math.round(d - start);
    return i >= 0 && i < values.length ? values[i] : null;
  });
}

function renderAB(answer) {
  const box = $("ab");
  if (!answer.baseline) { box.hidden = true; return; }
  box.hidden = false;
  const a = answer.baseline.metrics, b = answer.run.metrics;
  const delta = b.headache_days_per_month - a.headache_days_per_month;
  $("ab-names").textContent = `A = ${state.baselineName}; B = current settings`;
  $("ab-summary").textContent = `A: ${a.headache_days_per_month.toFixed(1)} headache days per month; ` +
    `B: ${b.headache_days_per_month.toFixed(1)}; B − A = ${delta >= 0 ? "+" : ""}${delta.toFixed(1)} days, by pathway:`;
  const bars = $("ab-bars");
  bars.replaceChildren();
  const scale = Math.max(1, ...PATHWAYS.map((p) => Math.abs(answer.difference[p])));
  for (const p of PATHWAYS) {
    const d = answer.difference[p];
    const width = 50 * Math.abs(d) / scale;
    const bar = el("div", {class: "bar"});
    bar.style.background = COLORS[p];
    bar.style.width = `${width}%`;
    bar.style.left = d < 0 ? `${50 - width}%` : "50%";
    bars.append(el("span", {}, p), el("div", {class: "track"}, bar, el("div", {class: "zero"})),
      el("span", {class: "number", "data-pathway": p}, `${d >= 0 ? "+" : ""}${d.toFixed(1)}`));
  }
}

/* ---------------- the pathway diagram ---------------- */

const BOX_W = 172, BOX_H = 60;
const NODES = {
  ergo: [335, 50, "desk load"], lumbar: [95, 175, "lumbar pain"], posture: [335, 175, "posture"],
  neck: [580, 175, "neck tension"], tth: [895, 105, "tension-type"], cgh: [895, 250, "cervicogenic"],
  sens: [470, 335, "sensitization"], disc: [95, 485, "disc"], cyto: [335, 485, "IL-6 / TNF-α"],
  infl: [580, 485, "neuroinflammation"], mig: [895, 485, "migraine-like"],
};
const EDGES = [  // from, to, colour, weight(day index)
  ["lumbar", "posture", COLORS.mechanical, (v) => v.lumbar_pain / 10],
  ["ergo", "posture", COLORS.mechanical, (v) => v.ergonomic_load * (1 - v.ergonomics_effect)],
  ["posture", "neck", COLORS.mechanical, (v) => v.posture_deviation / 15],
  ["neck", "tth", COLORS.mechanical, (v) => v.headache_tension_type / 3],
  ["neck", "cgh", "#56B4E9", (v) => v.headache_cervicogenic / 3],
  ["lumbar", "sens", COLORS.neurological, (v) => v.lumbar_pain / 10],
  ["sens", "tth", COLORS.neurological, (v) => v.headache_sensitization / 3, true],
  ["sens", "cgh", COLORS.neurological, (v) => v.headache_sensitization / 3, true],
  ["sens", "mig", COLORS.neurological, (v) => v.headache_sensitization / 3, true],
  ["disc", "cyto", COLORS.inflammatory, (v) => v.disc_degeneration],
  ["cyto", "infl", COLORS.inflammatory, (v) => Math.max(0, (v.il6 / v.il6_healthy - 1) + (v.tnf_alpha - 1)) / 2],
  ["infl", "mig", COLORS.inflammatory, (v) => v.headache_migraine / 3],
];
const TREATMENT_MARKS = [  // name, effect column, x, y, target node
  ["physical therapy", "physical_therapy_effect", 460, 255, "posture"],
  ["ergonomics", "ergonomics_effect", 580, 50, "ergo"],
  ["NSAID", "nsaid_effect", 335, 545, "cyto"],
  ["neuropathic med.", "neuropathic_effect", 215, 335, "sens"],
];

function valuesAt(i) {
  const c = state.last.run.columns;
  const v = {il6_healthy: state.last.run.il6_healthy};
  for (const key of Object.keys(c)) v[key] = c[key][i];
  v.sensitization = 1 - v.pain_threshold;
  return v;
}

function nodeLabel(key, v) {
  switch (key) {
    case "ergo": return `${fmt(v.ergonomic_load * (1 - v.ergonomics_effect), 2)}`;
    case "lumbar": return `${fmt(v.lumbar_pain, 2)} / 10`;
    case "posture": return `${fmt(v.posture_deviation, 2)}° forward`;
    case "neck": return `${fmt(v.neck_tension, 2)} of max`;
    case "sens": return `threshold ${v.pain_threshold.toFixed(2)}`;
    case "disc": return `${fmt(v.disc_degeneration, 2)}`;
    case "cyto": return `${fmt(v.il6, 2)} pg/mL · ×${fmt(v.tnf_alpha, 2)}`;
    case "infl": return `${fmt(v.neuroinflammation, 2)}`;
    case "tth": return `${v.headache_tension_type.toFixed(2)} /10`;
    case "cgh": return `${v.headache_cervicogenic.toFixed(2)} /10`;
    case "mig": return `${v.headache_migraine.toFixed(2)} /10`;
    default: return "";
  }
}

function renderDiagram() {
  if (!state.last) return;
  const i = Number($("cursor").value);
  $("cursor-month").textContent = months(state.last.run.days[i]).toFixed(1);
  const v = valuesAt(i);
  const root = $("diagram");
  root.replaceChildren();
  const defs = svg("defs");
  root.append(defs);
  for (const [from, to, colour, weight, dashed] of EDGES) {
    const w = Math.max(0, Math.min(1, weight(v)));
    const [x0, y0] = NODES[from], [x1, y1] = NODES[to];
    const id = `arrow-${from}-${to}`;
    const marker = svg("marker", {id, viewBox: "0 0 10 10", refX: "9", refY: "5",
      markerUnits: "userSpaceOnUse", markerWidth: String(14 + 10 * w),
      markerHeight: String(14 + 10 * w), orient: "auto-start-reverse"});
    marker.append(svg("path", {d: "M0,0 L10,5 L0,10 z", fill: colour}));
    defs.append(marker);
    const dx = x1 - x0, dy = y1 - y0, len = Math.hypot(dx, dy);
    // Leave each box where the line crosses its border (a little outside it).
    const exit = (ux, uy) => Math.min(BOX_W / 2 / Math.max(Math.abs(ux), 1e-9),
      BOX_H / 2 / Math.max(Math.abs(uy), 1e-9));
    const ux = dx / len, uy = dy / len, pad0 = exit(ux, uy) + 4, pad1 = exit(ux, uy) + 6;
    const line = svg("line", {class: "edge", x1: x0 + ux * pad0, y1: y0 + uy * pad0,
      x2: x1 - ux * pad1, y2: y1 - uy * pad1, stroke: colour,
      "stroke-width": (1.5 + 14 * w).toFixed(2), "stroke-opacity": (0.25 + 0.75 * w).toFixed(2),
      "marker-end": `url(#${id})`, "data-edge": `${from}-${to}`, "data-weight": w.toFixed(4)});
    if (dashed) line.setAttribute("stroke-dasharray", "10 8");
    root.append(line);
  }
  const fills = {tth: "#0072B2", cgh: "#56B4E9", mig: "#D55E00", sens: "#882E72",
    posture: "#BFE3F7", neck: "#BFE3F7", cyto: "#F8C9A8", infl: "#F8C9A8", ergo: "#E0E0E0"};
  const dark = new Set(["tth", "mig", "sens"]);
  for (const [key, [x, y, title]] of Object.entries(NODES)) {
    const g = svg("g", {class: "node", "data-node": key});
    g.append(svg("rect", {x: x - BOX_W / 2, y: y - BOX_H / 2, width: BOX_W, height: BOX_H,
      fill: fills[key] || "#fff"}));
    const colour = dark.has(key) ? "#fff" : "#111";
    const t1 = svg("text", {x, y: y - 11, fill: colour}); t1.textContent = title;
    const t2 = svg("text", {x, y: y + 13, class: "value", fill: colour}); t2.textContent = nodeLabel(key, v);
    g.append(t1, t2);
    root.append(g);
  }
  for (const [name, column, x, y] of TREATMENT_MARKS) {
    const effect = v[column];
    if (effect < 0.01) continue;
    const g = svg("g", {class: "treat", opacity: (0.35 + 0.65 * effect).toFixed(2)});
    g.append(svg("rect", {x: x - 70, y: y - 16, width: 140, height: 32}));
    const t = svg("text", {x, y}); t.textContent = `${name} ${Math.round(100 * effect)}%`;
    g.append(t);
    root.append(g);
  }
}

/* ---------------- hysteresis ---------------- */

function scheduleHysteresis() {
  clearTimeout(state.hysteresisTimer);
  state.hysteresisTimer = setTimeout(runHysteresis, 150);
}

async function runHysteresis() {
  try {
    const answer = await api("/api/hysteresis", {settings: state.settings,
      peak: Number($("h-peak").value), ramp_months: Number($("h-ramp").value)});
    renderHysteresis(answer);
  } catch (error) { showProblems(error.message); }
}

function renderHysteresis(h) {
  const top = h.rising_until;
  const up = [h.lumbar_pain.slice(0, top + 1), h.pain_threshold.slice(0, top + 1)];
  const down = [h.lumbar_pain.slice(top), h.pain_threshold.slice(top)];
  const jumps = [[], []];
  for (const j of [h.falls_at, h.recovers_at]) if (j) { jumps[0].push(j.lumbar_pain); jumps[1].push(j.pain_threshold); }
  const data = [null, up, down, jumps];
  if (!state.charts.loop) {
    state.charts.loop = new uPlot({
      mode: 2, width: chartWidth("chart-loop"), height: 320,
      series: [{}, {label: "raising", stroke: COLORS.neurological, width: 3, paths: uPlot.paths.linear(),
        points: {show: false}},
      {label: "lowering", stroke: "#000", width: 3, paths: uPlot.paths.linear(), points: {show: false}},
      {label: "jumps", stroke: "#E69F00", fill: "#E69F00", width: 0, paths: () => null,
        points: {show: false}}],
      scales: {x: {time: false, range: [0, 10]},
        y: {range: (u, low) => [Math.min(0.6, Math.floor(low * 20) / 20), 1.02]}},
      hooks: {draw: [(u) => {  // the jumps, as large orange dots
        const jumps = u.data[3];
        const ctx = u.ctx; ctx.save(); ctx.fillStyle = "#E69F00"; ctx.strokeStyle = "#000";
        for (let k = 0; k < jumps[0].length; k++) {
          const x = u.valToPos(jumps[0][k], "x", true), y = u.valToPos(jumps[1][k], "y", true);
          ctx.beginPath(); ctx.arc(x, y, 8 * devicePixelRatio, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
        }
        ctx.restore();
      }]},
      axes: [axis("lumbar pain (0–10)"), axis("pain threshold (1 = healthy)")],
      cursor: {drag: {x: false, y: false}},
    }, data, $("chart-loop"));
  } else {
    state.charts.loop.setData(data);
  }
  const falls = h.falls_at ? `The threshold falls abruptly at back pain ${h.falls_at.lumbar_pain.toFixed(1)} on the way up`
    : "The threshold falls gradually on the way up, without a jump";
  const back = h.recovers_at
    ? `, and recovers at back pain ${h.recovers_at.lumbar_pain.toFixed(1)} on the way down.`
    : h.stuck ? `, and does not recover on the way down: it ends at ${h.final_threshold.toFixed(2)}.`
    : `, and recovers gradually, without a jump, on the way down: it ends at ${h.final_threshold.toFixed(2)}.`;
  $("h-summary").textContent = falls + back + (h.stuck
    ? " The nervous system stays sensitized after the back pain is gone (chronification)."
    : " Once the pain is gone the system recovers.");
  const t = h.timing;
  const what = t.example ? "duloxetine 60 mg/day (no treatment is switched on; an example)"
    : `the treatments switched on (${t.treatments.join(", ").replaceAll("_", " ")})`;
  $("h-timing").textContent = `With ${what}: started at month ${t.early.start_month.toFixed(0)} ` +
    `(threshold then ${t.early.threshold_at_start.toFixed(2)}), ${t.early.headache_days_per_month.toFixed(1)} ` +
    `headache days per month at the end; started at month ${t.late.start_month.toFixed(0)} ` +
    `(threshold then ${t.late.threshold_at_start.toFixed(2)}), ${t.late.headache_days_per_month.toFixed(1)}. ` +
    "A late start meets a nervous system already on the sensitized branch.";
}

/* ---------------- the virtual clinic ---------------- */

const ARM_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#882E72"];
explorer.clinic = {started: 0, runs: 0, view: null, running: false, charts: []};
const percent = (v, digits = 1) => `${(100 * v).toFixed(digits)} %`;
const clinicTrial = () => state.meta.clinic.trials.find((t) => t.id === $("c-trial").value);
const ENDPOINT_LABELS = {
  headache_responders_50: "≥ 50 % fewer headache days", back_pain_responders_50: "≥ 50 % less back pain",
  back_pain_responders_30: "≥ 30 % less back pain", headache_days_change: "change in headache days per 28 days",
  back_pain_change: "change in back pain (0–100)", mean_intensity: "mean headache load (0–10)",
};

function setupClinic() {
  const c = state.meta.clinic;
  const trials = $("c-trial");
  for (const t of c.trials) trials.append(el("option", {value: t.id}, t.title));
  for (const n of c.virtual_patients) $("c-patients").append(el("option", {value: String(n)}, String(n)));
  trials.addEventListener("change", buildClinicArms);
  $("c-run").addEventListener("click", runClinic);
  buildClinicArms();
}

function buildClinicArms() {
  const t = clinicTrial();
  const root = $("c-arms");
  root.replaceChildren();
  for (const arm of t.arms) {
    const box = el("input", {type: "checkbox", value: arm.name, "data-arm": arm.name});
    box.checked = t.default_arms.includes(arm.name);
    if (arm.name === t.control) box.disabled = true;
    const what = arm.treatments.join(" + ");
    root.append(el("label", {class: arm.own ? "arm own" : "arm"}, box, ` ${arm.name.replaceAll("_", " ")}`,
      el("span", {class: "note"}, arm.own ? ` (${what}; the trial's own)` : ` (${what})`)));
  }
  $("c-question").textContent = t.question;
  const weeks = Math.round(t.duration_days / 7);
  $("c-design").textContent = `${t.description} Design: ${weeks} weeks from randomization, ` +
    `${t.blinded ? "blinded (every arm but usual care brings an expectation effect)" : "open label"}; ` +
    `the published trial randomized ${t.published_size.toLocaleString("en")} patients; here ` +
    `${state.meta.clinic.per_arm} per arm, ${state.meta.clinic.replicates} replicate trials.`;
}

function clinicRequest() {
  const arms = [...document.querySelectorAll("#c-arms input:checked")].map((b) => b.value);
  return {trial: $("c-trial").value, arms, virtual_patients: Number($("c-patients").value),
    per_arm: state.meta.clinic.per_arm, replicates: state.meta.clinic.replicates};
}

async function runClinic() {  // on request only: a trial takes seconds, not milliseconds
  if (explorer.clinic.running) return;
  explorer.clinic.running = true;
  explorer.clinic.started += 1;
  const button = $("c-run"), status = $("c-status");
  button.disabled = true;
  const t0 = performance.now();
  const tick = () => { status.textContent = `running… ${((performance.now() - t0) / 1000).toFixed(1)} s`; };
  tick();
  const timer = setInterval(tick, 100);
  try {
    const view = await api("/api/clinic", clinicRequest());
    renderClinic(view);
    explorer.clinic.view = view;
    explorer.clinic.runs += 1;
    status.textContent = `done in ${((performance.now() - t0) / 1000).toFixed(1)} s ` +
      `(${view.virtual_patients} virtual patients from ${view.candidates.toLocaleString("en")} candidates)`;
    showProblems("");
  } catch (error) {
    status.textContent = "the trial did not run (see the message at left)";
    showProblems(error.message);
  } finally {
    clearInterval(timer);
    button.disabled = false;
    explorer.clinic.running = false;
  }
}

function renderClinic(view) {
  $("c-results").hidden = false;
  const names = Object.keys(view.arms);
  $("c-title").textContent = `${view.trial}: ${names.map((n) => `${view.arms[n].patients} on ${n.replaceAll("_", " ")}`).join(", ")}`;
  $("c-sample").textContent = String(Math.min(state.meta.clinic.sample, ...names.map((n) => view.arms[n].lines.length)));
  renderSpaghetti(view, names);
  renderResponders(view, names);
  renderPublished(view);
  const dropouts = names.map((n) => `${view.arms[n].dropouts} in ${n.replaceAll("_", " ")}`).join(", ");
  $("c-footnote").textContent = `One trial of ${view.size} patients drawn from ${view.virtual_patients} ` +
    `virtual patients; ranges over ${view.replicates} such trials are listed under the published figure. ` +
    `Dropouts (lines end; last observation carried forward): ${dropouts}. The population took ` +
    `${view.population_seconds.toFixed(1)} s to build (once per trial design and size), the trial ${view.seconds.toFixed(1)} s.`;
}

function renderSpaghetti(view, names) {
  for (const chart of explorer.clinic.charts) chart.destroy();
  explorer.clinic.charts = [];
  const root = $("c-spaghetti");
  root.replaceChildren();
  const width = Math.max(260, Math.floor((root.clientWidth || 900) / names.length) - 12);
  names.forEach((name, k) => {
    const arm = view.arms[name];
    const colour = ARM_COLORS[k % ARM_COLORS.length];
    const box = el("div", {class: "arm-chart", "data-arm": name});
    box.append(el("div", {class: "arm-title"}, el("span", {class: "swatch", style: `background:${colour}`}),
      ` ${name.replaceAll("_", " ")} (${arm.treatments.join(" + ")})`));
    root.append(box);
    const series = [{label: "week"}];
    for (let i = 0; i < arm.lines.length; i++) {
      series.push({label: `patient ${i + 1}`, stroke: colour + "55", width: 1, points: {show: false}, spanGaps: false});
    }
    series.push({label: "arm mean", stroke: colour, width: 4, points: {show: false}});
    const [w0, w1] = arm.window_weeks, shaded = arm.active;
    const chart = new uPlot({
      width, height: 250, series, legend: {show: false},
      scales: {x: {time: false, range: [view.weeks[0], view.weeks[view.weeks.length - 1] + 1]}, y: {range: [0, 7.2]}},
      axes: [axis("weeks from randomization"), axis("headache days per week")],
      cursor: {show: false},
      hooks: {drawClear: [(u) => {
        if (!shaded) return;  // usual care and waitlist: no active treatment to mark
        const ctx = u.ctx, x0 = u.valToPos(w0, "x", true), x1 = u.valToPos(w1, "x", true);
        ctx.save(); ctx.fillStyle = COLORS.treatment; ctx.fillRect(x0, u.bbox.top, Math.max(1, x1 - x0), u.bbox.height);
        ctx.strokeStyle = COLORS.treatmentEdge; ctx.lineWidth = 2 * devicePixelRatio;
        ctx.beginPath(); ctx.moveTo(x0, u.bbox.top); ctx.lineTo(x0, u.bbox.top + u.bbox.height); ctx.stroke();
        ctx.restore();
      }]},
    }, [view.weeks.map((w) => w + 0.5), ...arm.lines, arm.mean], box);
    explorer.clinic.charts.push(chart);
  });
}

function renderResponders(view, names) {
  const root = $("c-responders");
  root.replaceChildren();
  $("c-resp-caption").textContent = `Responders (${ENDPOINT_LABELS[view.endpoint] || view.endpoint}) at week ` +
    `${Math.round(view.evaluation_day / 7)}, exact (Clopper–Pearson) 95 % intervals; ◆ published`;
  const left = 60, right = 500, top = 20, bottom = 250;
  const published = Object.fromEntries(view.published.filter((p) => p.endpoint === view.endpoint &&
    p.evaluation_day === view.evaluation_day && !p.arm.includes(" - ")).map((p) => [p.arm, p.published]));
  const y = (v) => bottom - (bottom - top) * v;
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    root.append(svg("line", {x1: left, x2: right, y1: y(v), y2: y(v), class: "grid"}));
    const t = svg("text", {x: left - 6, y: y(v) + 4, class: "tick", "text-anchor": "end"});
    t.textContent = `${100 * v}%`;
    root.append(t);
  }
  const slot = (right - left) / names.length, barW = Math.min(90, slot * 0.55);
  names.forEach((name, k) => {
    const r = view.arms[name].responders;
    const cx = left + slot * (k + 0.5);
    const g = svg("g", {class: "resp", "data-arm": name, "data-value": String(r.value), "data-low": String(r.low),
      "data-high": String(r.high), "data-count": String(r.count), "data-n": String(r.n)});
    g.append(svg("rect", {x: cx - barW / 2, y: y(r.value), width: barW, height: Math.max(0.5, y(0) - y(r.value)),
      fill: ARM_COLORS[k % ARM_COLORS.length], "fill-opacity": "0.8"}));
    g.append(svg("line", {x1: cx, x2: cx, y1: y(r.low), y2: y(r.high), class: "ci"}));
    for (const v of [r.low, r.high]) g.append(svg("line", {x1: cx - 12, x2: cx + 12, y1: y(v), y2: y(v), class: "ci"}));
    const label = svg("text", {x: cx, y: Math.max(14, y(r.high) - 8), class: "value-label", "text-anchor": "middle"});
    label.textContent = `${percent(r.value, 0)} (${r.count}/${r.n})`;
    const armName = svg("text", {x: cx, y: bottom + 20, class: "tick", "text-anchor": "middle"});
    armName.textContent = name.replaceAll("_", " ");
    g.append(label, armName);
    if (name in published) {
      const py = y(published[name]);
      g.append(svg("path", {d: `M${cx + barW / 2 + 14},${py - 9} l9,9 l-9,9 l-9,-9 z`, class: "published-mark"}));
      const pt = svg("text", {x: cx + barW / 2 + 27, y: py + 4, class: "tick"});
      pt.textContent = percent(published[name], 0);
      g.append(pt);
    }
    root.append(g);
  });
}

function renderPublished(view) {
  const root = $("c-published");
  root.replaceChildren();
  const list = $("c-citations");
  list.replaceChildren();
  const rows = view.published;
  if (!rows.length) {
    const t = svg("text", {x: 260, y: 150, "text-anchor": "middle", class: "tick"});
    t.textContent = "No published figure for the arms chosen.";
    root.append(t);
    return;
  }
  const share = rows.every((r) => r.unit === "1" && !r.endpoint.endsWith("_change"));
  const values = rows.flatMap((r) => [r.simulated, r.simulated_low, r.simulated_high, r.published,
    r.published_low, r.published_high, 0]).filter((v) => v !== null);
  let lo = Math.min(...values), hi = Math.max(...values);
  const pad = 0.08 * (hi - lo || 1); lo -= pad; hi += pad;
  const left = 30, right = 490, rowH = 80, top = 34;
  const x = (v) => left + (right - left) * (v - lo) / (hi - lo);
  const show = (v) => (share ? percent(v, 0) : v.toFixed(1));
  root.setAttribute("viewBox", `0 0 520 ${top + rowH * rows.length + 40}`);
  root.append(svg("line", {x1: x(0), x2: x(0), y1: top, y2: top + rowH * rows.length, class: "zero"}));
  rows.forEach((r, i) => {
    const cy = top + rowH * (i + 0.5);
    const g = svg("g", {class: "pub", "data-arm": r.arm, "data-endpoint": r.endpoint,
      "data-simulated": String(r.simulated), "data-published": String(r.published)});
    const what = svg("text", {x: 4, y: cy - 22, class: "tick"});
    what.textContent = r.arm.replaceAll("_", " ");
    const ep = svg("text", {x: 4, y: cy - 6, class: "small"});
    ep.textContent = `${ENDPOINT_LABELS[r.endpoint] || r.endpoint}, week ${Math.round(r.evaluation_day / 7)}`;
    g.append(what, ep);
    const ys = cy + 10, yp = cy + 26;
    if (r.simulated_low !== null) g.append(svg("line", {x1: x(r.simulated_low), x2: x(r.simulated_high), y1: ys, y2: ys, class: "ci sim"}));
    g.append(svg("circle", {cx: x(r.simulated), cy: ys, r: 6, class: "sim-dot"}));
    if (r.published_low !== null) g.append(svg("line", {x1: x(r.published_low), x2: x(r.published_high), y1: yp, y2: yp, class: "ci"}));
    g.append(svg("path", {d: `M${x(r.published)},${yp - 8} l8,8 l-8,8 l-8,-8 z`, class: "published-mark"}));
    root.append(g);
    list.append(el("li", {}, `${r.arm.replaceAll("_", " ")}: simulated ${show(r.simulated)}` +
      (r.simulated_low !== null ? ` (${show(r.simulated_low)} to ${show(r.simulated_high)})` : "") +
      `, ${view.replicates} trials ${show(r.replicates_p2_5)} to ${show(r.replicates_p97_5)}; published ${show(r.published)}` +
      (r.published_low !== null ? ` (${show(r.published_low)} to ${show(r.published_high)})` : "") + ` — ${r.citation}`));
  });
  const axisY = top + rowH * rows.length + 18;
  for (const v of [lo + pad, (lo + hi) / 2, hi - pad]) {
    const t = svg("text", {x: x(v), y: axisY, "text-anchor": "middle", class: "tick"});
    t.textContent = show(v);
    root.append(t);
  }
  const key = svg("text", {x: 4, y: 16, class: "small"});
  key.textContent = "● simulated, this trial (95 % CI)   ◆ published";
  root.append(key);
}

/* ---------------- A/B, saving, loading, tabs ---------------- */

function pinBaseline() {
  state.baseline = JSON.parse(JSON.stringify(state.settings));
  state.baselineName = state.settings.name || "pinned settings";
  $("ab-status").textContent = `A = ${state.baselineName} (pinned). Change the settings or load another preset: B follows them.`;
  $("clear-a").disabled = false;
  changed();
}

function clearBaseline() {
  state.baseline = null;
  $("ab-status").textContent = "No baseline pinned: the figures show the current settings.";
  $("clear-a").disabled = true;
  changed();
}

async function save() {
  try {
    const answer = await api("/api/yaml", {settings: state.settings});
    const blob = new Blob([answer.yaml], {type: "text/yaml"});
    const link = el("a", {href: URL.createObjectURL(blob),
      download: `${(state.settings.name || "scenario").toLowerCase().replace(/[^a-z0-9]+/g, "_")}.yaml`});
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (error) { showProblems(error.message); }
}

async function load(file) {
  try {
    const text = await file.text();
    const answer = await api("/api/load", {text});
    $("preset").value = "";
    applySettings(answer.settings, null);
  } catch (error) { showProblems(`${file.name}:\n${error.message}`); }
}

function showTab(name) {
  for (const tab of document.querySelectorAll(".tab")) {
    const on = tab.dataset.tab === name;
    tab.classList.toggle("active", on);
    tab.setAttribute("aria-selected", String(on));
  }
  for (const panel of document.querySelectorAll(".panel")) panel.hidden = panel.id !== `panel-${name}`;
  if (name === "hysteresis") scheduleHysteresis();
}

async function main() {
  state.meta = await api("/api/meta");
  $("disclaimer").textContent = state.meta.disclaimer;
  $("red-flags").replaceChildren(...state.meta.red_flags.map((flag) => el("li", {}, flag)));
  setupClinic();
  const select = $("preset");
  select.append(el("option", {value: ""}, "(your own settings)"));
  for (const preset of state.meta.presets) select.append(el("option", {value: preset.id}, preset.title));
  select.addEventListener("change", () => {
    const preset = state.meta.presets.find((p) => p.id === select.value);
    if (preset) applySettings(preset.settings, preset);
  });
  state.charts.headache = headacheChart();
  state.charts.pain = painChart();
  state.charts.days = daysChart();
  $("cursor").addEventListener("input", () => {
    state.cursorAtEnd = Number($("cursor").value) >= Number($("cursor").max);
    renderDiagram();
  });
  $("pin-a").addEventListener("click", pinBaseline);
  $("clear-a").addEventListener("click", clearBaseline);
  $("save").addEventListener("click", save);
  $("load").addEventListener("change", (event) => { if (event.target.files[0]) load(event.target.files[0]); });
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  for (const [id, out] of [["h-peak", "h-peak-value"], ["h-ramp", "h-ramp-value"]]) {
    $(id).addEventListener("input", () => { $(out).textContent = $(id).value; scheduleHysteresis(); });
  }
  window.addEventListener("resize", () => {
    for (const [key, chart] of Object.entries(state.charts)) {
      chart.setSize({width: chartWidth(`chart-${key}`), height: chart.height});
    }
  });
  const first = state.meta.presets.find((p) => p.id === "persistent_back_pain") || state.meta.presets[0];
  select.value = first.id;
  applySettings(first.settings, first);
}

main().catch((error) => showProblems(error.message));
