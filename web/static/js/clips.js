// The clips page: review a show's cut list against its recording, render it, follow the render
// live and download the clips. The server owns every check (PUT …/cuts names each bad row and
// field); the page keeps the rows as typed until then. Progress arrives as Server-Sent Events
// (GET …/job/events, the whole job snapshot each time), with polling when the stream breaks.
// Text from cut lists, titles, file names and errors is only ever set as textContent.
// Interface text comes from t() in the page's language (i18n.js).

import {t, tn} from "./i18n.js";

const root = document.getElementById("clips");
const API = root.dataset.api;
const FILES = root.dataset.files;
const POLL_MS = 1000;
const FIELDS = ["start", "end", "sku", "title", "price", "original_price"];
const FIELD_LABELS = {
  start: t("In"), end: t("Out"), sku: "SKU", title: t("Title"), price: t("Live price"),
  original_price: t("List price"),
};
const STATUS_LABELS = {
  waiting: t("Waiting"), running: t("Rendering"), rendered: t("Rendered"),
  skipped: t("Unchanged"), failed: t("Failed"),
};

const state = {
  rows: [],            // the cut list as typed: {start, end, sku, title, price, original_price}
  selected: -1,        // index into rows
  dirty: false,        // rows differ from the saved cut list
  recording: null,     // the workspace's recording (duration, fps, url) or null
  manifest: new Map(), // clip index → the last manifest's entry
  job: null,           // the newest job snapshot
  playUntil: null,     // seconds where "play cut" stops, or null
  source: null,        // the EventSource following a render
  pollTimer: 0,
  busy: false,
};

// ---- small helpers ------------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (key === "testid") node.dataset.testid = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const part = (role) => root.querySelector(`[data-role="${role}"]`);
const video = part("video");

/** Seconds from "75.5", "1:15.5" or "00:01:15.500"; NaN for anything else (the server decides). */
function parseTime(text) {
  const value = String(text ?? "").trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const clock = value.match(/^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)$/);
  if (!clock) return NaN;
  return Number(clock[1] || 0) * 3600 + Number(clock[2]) * 60 + Number(clock[3].replace(",", "."));
}

function formatTime(seconds) {
  if (!Number.isFinite(seconds)) return "—";
  const millis = Math.max(0, Math.round(seconds * 1000));
  const pad = (n, width = 2) => String(n).padStart(width, "0");
  const h = Math.floor(millis / 3600000), m = Math.floor(millis / 60000) % 60;
  const s = Math.floor(millis / 1000) % 60, ms = millis % 1000;
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms, 3)}`;
}

function fps() {
  return (state.recording && state.recording.fps) || 30;
}

/** The player's time on the recording's frame grid, to the millisecond. */
function frameTime(seconds) {
  const frame = Math.round(seconds * fps()) / fps();
  return Math.round(frame * 1000) / 1000;
}

function bytes(size) {
  const units = ["B", "KB", "MB", "GB"];
  let value = size, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

async function request(method, path, body) {
  const options = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, options);
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error((data && data.error && data.error.message) || `HTTP ${response.status}`);
    error.details = (data && data.error && data.error.details) || [];
    error.status = response.status;
    throw error;
  }
  return data;
}

function showError(error) {
  const box = part("error");
  box.replaceChildren();
  if (!error) { box.hidden = true; return; }
  box.append(el("strong", { text: error.message }));
  const details = error.details || [];
  if (details.length) {
    box.append(el("ul", {}, details.map((d) => el("li", {
      text: [d.row ? t("row {n}", {n: d.row}) : null, d.field ? FIELD_LABELS[d.field] || d.field : null]
        .filter(Boolean).join(" · ") + (d.row || d.field ? ": " : "") + d.message,
    }))));
  }
  box.hidden = false;
}

function setBusy(busy) {
  state.busy = busy;
  root.dataset.busy = busy ? "yes" : "no";
  for (const role of ["save", "render", "add", "delete"]) part(role).disabled = busy;
  drawJobControls();
}

// ---- the workspace ------------------------------------------------------------------------------

function rowFromCut(cut) {
  return {
    start: formatTime(cut.start), end: formatTime(cut.end), sku: cut.sku || "", title: cut.title || "",
    price: cut.price || "", original_price: cut.original_price || "",
  };
}

/** Show a workspace answer; ``keepRows``/``keepForm`` leave what the editor may be typing alone. */
function applyWorkspace(ws, { keepRows = false, keepForm = false } = {}) {
  state.recording = ws.recording;
  state.manifest = new Map((ws.manifest ? ws.manifest.clips : []).map((c) => [c.index, c]));
  drawRecording(ws);
  if (!keepForm) drawSettings(ws);
  if (keepRows) {
    drawOutputs();
  } else {
    state.rows = ws.cuts.map(rowFromCut);
    state.selected = state.rows.length ? Math.min(Math.max(state.selected, 0), state.rows.length - 1) : -1;
    setDirty(false);
    drawSourceNote(ws);
    drawRows();
  }
  if (ws.job) onJob(ws.job, { refresh: false });
}

async function load(options) {
  const ws = await request("GET", "");
  applyWorkspace(ws, options);
  return ws;
}

function drawRecording(ws) {
  const info = part("recording-info");
  const missing = part("no-recording");
  const rec = ws.recording;
  if (!rec) {
    video.removeAttribute("src");
    video.hidden = true;
    missing.hidden = false;
    missing.textContent = ws.recording_error || t("No recording");
    info.textContent = "";
    return;
  }
  video.hidden = false;
  missing.hidden = true;
  if (video.dataset.src !== rec.url + rec.size) {
    video.dataset.src = rec.url + rec.size;
    video.src = `${rec.url}?v=${rec.size}`;
  }
  const parts = [rec.name, formatTime(rec.duration), rec.width ? `${rec.width}×${rec.height}` : null,
    rec.fps ? `${rec.fps} fps` : null, bytes(rec.size), rec.audio ? null : t("no audio")];
  if (ws.transcript) parts.push(t("transcript: {name}", {name: ws.transcript.path.split("/").pop()}));
  info.textContent = parts.filter(Boolean).join(" · ");
}

function drawSettings(ws) {
  const form = part("settings");
  const settings = ws.settings;
  for (const name of ["recording", "transcript", "recording_start"]) {
    form.elements[name].value = settings[name] || "";
  }
  const templateSelect = form.elements.template;
  templateSelect.replaceChildren(...ws.templates.map((template) => el("option", {
    value: template.name,
    text: template.error ? `${template.name} (✗)`
      : `${template.name} · ${template.layout} ${template.size.join("×")}`,
  })));
  templateSelect.value = settings.template;
  templateSelect.dataset.templates = JSON.stringify(ws.templates);
  const most = Math.max(settings.jobs, ws.max_jobs || 1);
  form.elements.jobs.replaceChildren(...Array.from({ length: most }, (_, i) => el("option", {
    value: String(i + 1), text: i === 0 ? t("1 at a time") : t("{n} at once", {n: i + 1}),
  })));
  form.elements.jobs.value = String(settings.jobs);
  drawTemplateNote();
}

function drawTemplateNote() {
  const select = part("settings").elements.template;
  const chosen = JSON.parse(select.dataset.templates || "[]").find((template) => template.name === select.value);
  part("template-note").textContent = chosen ? chosen.error || chosen.description || "" : "";
}

function drawSourceNote(ws) {
  const notes = {
    saved: t("The saved cut list."),
    event_log: t("Proposed from the event log, not saved yet: "),
    none: "",
  };
  part("source-note").textContent = (notes[ws.cuts_source] || "") +
    (ws.cuts_source === "saved" ? "" : ws.cuts_note || "");
}

async function saveSettings(event) {
  event.preventDefault();
  const form = part("settings");
  const body = {
    recording: form.elements.recording.value.trim() || null,
    transcript: form.elements.transcript.value.trim() || null,
    recording_start: form.elements.recording_start.value.trim() || null,
    template: form.elements.template.value,
    jobs: Number(form.elements.jobs.value),
  };
  for (const input of form.querySelectorAll("input, select")) input.classList.remove("invalid");
  try {
    await request("PUT", "/settings", body);
    showError(null);
    part("settings-status").textContent = `✓ ${t("Saved")}`;
    await load({ keepRows: state.dirty });
  } catch (error) {
    for (const detail of error.details || []) {
      if (detail.field && form.elements[detail.field]) form.elements[detail.field].classList.add("invalid");
    }
    part("settings-status").textContent = "";
    showError(error);
  }
}

// ---- the cut table ------------------------------------------------------------------------------

function setDirty(dirty) {
  state.dirty = dirty;
  part("unsaved").hidden = !dirty;
}

function drawRows() {
  const body = part("rows");
  body.replaceChildren(...state.rows.map((row, i) => rowElement(row, i)));
  part("empty").hidden = state.rows.length > 0;
  part("summary").textContent = tn("{n} cut", "{n} cuts", state.rows.length);
  drawOutputs();
}

function rowElement(row, i) {
  const cell = (field, attrs = {}) => el("td", {}, el("input", {
    value: row[field], dataset: { field }, "aria-label": `${FIELD_LABELS[field]} ${i + 1}`,
    testid: `cut-${field}`, oninput: (event) => edit(i, field, event.target), ...attrs,
  }));
  const tr = el("tr", {
    testid: "clip-row", dataset: { index: String(i + 1) },
    className: i === state.selected ? "selected" : "",
    onclick: (event) => (event.target.closest("input, a, button, details") ? null : playRow(i)),
  },
  el("td", { className: "idx" }, el("button", {
    type: "button", className: "play", testid: "play-row", title: t("Play this cut"),
    text: `▶ ${i + 1}`, onclick: () => playRow(i),
  })),
  cell("start", { className: "time", inputmode: "decimal" }),
  cell("end", { className: "time", inputmode: "decimal" }),
  el("td", { className: "num length", testid: "cut-length" }),
  cell("sku", { className: "sku" }),
  cell("title", { className: "title" }),
  cell("price", { className: "money", inputmode: "decimal" }),
  cell("original_price", { className: "money", inputmode: "decimal" }),
  el("td", { className: "out", testid: "clip-output" }));
  tr.addEventListener("focusin", () => select(i));
  drawLength(tr, row);
  return tr;
}

function rowNode(i) {
  return part("rows").children[i] || null;
}

function drawLength(tr, row) {
  const length = parseTime(row.end) - parseTime(row.start);
  const cell = tr.querySelector(".length");
  cell.textContent = Number.isFinite(length) ? `${length.toFixed(2)} s` : "?";
  cell.classList.toggle("bad", !(length > 0));
}

function edit(i, field, input) {
  state.rows[i][field] = input.value;
  input.classList.remove("invalid");
  setDirty(true);
  if (field === "start" || field === "end") {
    drawLength(rowNode(i), state.rows[i]);
    drawOutput(i);
  }
}

function select(i) {
  if (state.selected === i) return;
  state.selected = i;
  for (const [n, tr] of [...part("rows").children].entries()) tr.classList.toggle("selected", n === i);
}

function playRow(i) {
  select(i);
  const row = state.rows[i];
  const start = parseTime(row.start), end = parseTime(row.end);
  if (!state.recording || !Number.isFinite(start)) return;
  video.currentTime = start;
  state.playUntil = Number.isFinite(end) && end > start ? end : null;
  video.play().catch(() => { state.playUntil = null; });
}

function setMark(field) {
  if (state.selected < 0 || !state.rows[state.selected]) {
    showError(new Error(t("Select a cut first (click its row).")));
    return;
  }
  const at = frameTime(video.currentTime);
  video.pause();
  video.currentTime = at; // the player shows the frame the cut now starts or ends on
  const value = formatTime(at);
  const input = rowNode(state.selected).querySelector(`input[data-field="${field}"]`);
  input.value = value;
  edit(state.selected, field, input);
}

function addRow() {
  const duration = state.recording ? state.recording.duration : Infinity;
  const start = frameTime(Math.min(video.currentTime || 0, Math.max(0, duration - 1)));
  const end = Math.min(duration, start + 10);
  const at = state.selected >= 0 ? state.selected + 1 : state.rows.length;
  state.rows.splice(at, 0, {
    start: formatTime(start), end: formatTime(end), sku: "", title: "", price: "", original_price: "",
  });
  state.selected = at;
  setDirty(true);
  drawRows();
  rowNode(at).querySelector('input[data-field="sku"]').focus();
}

function deleteRow() {
  if (state.selected < 0) return;
  state.rows.splice(state.selected, 1);
  state.selected = Math.min(state.selected, state.rows.length - 1);
  setDirty(true);
  drawRows();
}

async function saveCuts() {
  const body = {
    cuts: state.rows.map((row) => Object.fromEntries(FIELDS.map((f) => [f, row[f].trim() || null]))),
  };
  setBusy(true);
  try {
    const saved = await request("PUT", "/cuts", body);
    state.rows = saved.cuts.map(rowFromCut);
    setDirty(false);
    showError(null);
    drawSourceNote({ cuts_source: "saved" });
    drawRows();
    return true;
  } catch (error) {
    showError(error);
    for (const detail of error.details || []) {
      const tr = detail.row ? rowNode(detail.row - 1) : null;
      const input = tr && tr.querySelector(`input[data-field="${detail.field}"]`);
      if (input) input.classList.add("invalid");
    }
    return false;
  } finally {
    setBusy(false);
  }
}

// ---- outputs and progress -----------------------------------------------------------------------

/** The job's or the manifest's clip for row i, when it was made from the cut as it stands. */
function clipFor(i) {
  const row = state.rows[i];
  const start = parseTime(row.start), end = parseTime(row.end);
  const same = (clip) => clip && Math.abs(clip.start - start) < 0.0005 && Math.abs(clip.end - end) < 0.0005;
  const fromJob = state.job && state.job.clips.find((c) => c.index === i + 1);
  if (same(fromJob)) return fromJob;
  const fromManifest = state.manifest.get(i + 1);
  return same(fromManifest) ? fromManifest : null;
}

function fileUrl(name, key) {
  return `${FILES}${encodeURIComponent(name)}${key ? `?v=${encodeURIComponent(key)}` : ""}`;
}

function drawOutputs() {
  state.rows.forEach((_, i) => drawOutput(i));
}

function drawOutput(i) {
  const tr = rowNode(i);
  if (!tr) return;
  const cell = tr.querySelector("td.out");
  const clip = clipFor(i);
  const status = clip ? clip.status : "none";
  tr.dataset.status = status;
  const signature = clip ? `${status}|${clip.key}|${clip.error || ""}` : "none";
  if (status === "running" || status === "waiting") {
    if (cell.dataset.signature !== "bar") {
      cell.dataset.signature = "bar";
      cell.replaceChildren(
        el("div", { className: "bar small", role: "progressbar", testid: "clip-bar", "aria-valuemin": "0",
          "aria-valuemax": "100" }, el("span")),
        el("span", { className: "clip-status", testid: "clip-status" }));
    }
    const percent = clip.total ? Math.min(100, Math.round((clip.done / clip.total) * 100)) : 0;
    cell.querySelector(".bar span").style.width = `${percent}%`;
    cell.querySelector(".bar").setAttribute("aria-valuenow", String(percent));
    cell.querySelector(".clip-status").textContent =
      status === "running" ? `${STATUS_LABELS.running} ${percent}%` : STATUS_LABELS.waiting;
    return;
  }
  if (cell.dataset.signature === signature) return;
  cell.dataset.signature = signature;
  cell.replaceChildren(...outputParts(clip));
}

function outputParts(clip) {
  if (!clip) return [el("span", { className: "muted", text: "—" })];
  if (clip.status === "failed") {
    const [first, ...rest] = (clip.error || "failed").split("\n");
    return [el("div", { className: "clip-error", testid: "clip-error" },
      el("strong", { text: `✗ ${first}` }),
      rest.length ? el("details", {}, el("summary", { text: "ffmpeg" }), el("pre", { text: rest.join("\n") })) : null)];
  }
  const files = clip.files || {};
  const link = (kind, label, testid) => files[kind] ? el("a", {
    href: fileUrl(files[kind], clip.key), download: files[kind], testid, text: label,
  }) : null;
  const cover = files.cover ? el("a", { href: fileUrl(files.video, clip.key), target: "_blank", className: "thumb" },
    el("img", { src: fileUrl(files.cover, clip.key), alt: t("cover of {name}", {name: clip.name}), testid: "clip-cover", loading: "lazy" })) : null;
  return [cover, el("div", { className: "links" },
    el("span", { className: `clip-status ${clip.status}`, testid: "clip-status", text: STATUS_LABELS[clip.status] || clip.status }),
    link("video", "MP4", "clip-video"), link("cover", t("Cover"), "clip-cover-link"),
    link("srt", t("Subtitles (SRT)"), "clip-srt"))];
}

function onJob(snapshot, { refresh = true } = {}) {
  state.job = snapshot;
  drawJob();
  drawOutputs();
  if (snapshot.state === "done" || snapshot.state === "failed") {
    stopFollowing();
    if (refresh) load({ keepRows: true, keepForm: true }).catch(showError); // the new manifest
  }
}

function drawJob() {
  const job = state.job;
  const box = part("overall");
  if (!job) { box.hidden = true; root.dataset.state = "idle"; drawJobControls(); return; }
  box.hidden = false;
  const percent = job.total ? Math.min(100, Math.round((job.done / job.total) * 100)) : 0;
  const bar = box.querySelector(".bar");
  bar.querySelector("span").style.width = `${job.state === "done" ? 100 : percent}%`;
  bar.setAttribute("aria-valuenow", String(percent));
  const c = job.counts;
  bar.dataset.state = job.state === "done" && c.failed ? "partial" : job.state;
  const finished = c.rendered + c.skipped + c.failed;
  const texts = {
    queued: t("Queued: waiting for another render to finish"),
    running: t("Rendering: {finished} of {total} clips finished · {percent}%", {
      finished, total: job.clips.length, percent}),
    done: t("Done: {rendered} rendered, {skipped} unchanged, {failed} failed", {
      rendered: c.rendered, skipped: c.skipped, failed: c.failed}) +
      (job.started_at && job.finished_at ? ` · ${took(job.started_at, job.finished_at)}` : ""),
    failed: t("Render failed: {reason}", {reason: job.error || ""}),
  };
  part("overall-text").textContent = texts[job.state] || job.state;
  root.dataset.state = job.state === "queued" || job.state === "running" ? "rendering" : job.state;
  drawJobControls();
}

function took(from, to) {
  const seconds = Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
  return `${Math.floor(seconds / 60)}:${String(Math.round(seconds % 60)).padStart(2, "0")}`;
}

function drawJobControls() {
  const running = root.dataset.state === "rendering";
  part("render").disabled = state.busy || running;
  part("render").textContent = running ? t("Rendering…") : t("Render");
}

async function render() {
  if (state.dirty && !(await saveCuts())) return;
  setBusy(true);
  try {
    const snapshot = await request("POST", "/render", { force: part("force").checked });
    showError(null);
    onJob(snapshot);
    follow();
  } catch (error) {
    showError(error);
  } finally {
    setBusy(false);
  }
}

function follow() {
  stopFollowing();
  if (!("EventSource" in window)) { poll(); return; }
  const source = new EventSource(`${API}/job/events`);
  state.source = source;
  source.addEventListener("job", (event) => onJob(JSON.parse(event.data)));
  source.addEventListener("error", () => {
    if (state.source !== source) return;
    source.close();
    state.source = null;
    if (root.dataset.state === "rendering") poll(); // the stream broke mid-render
  });
}

function poll() {
  clearTimeout(state.pollTimer);
  state.pollTimer = setTimeout(async () => {
    try {
      onJob(await request("GET", "/job"));
      if (root.dataset.state === "rendering") poll();
    } catch (error) {
      if (error.status === 404) { state.job = null; drawJob(); return; } // the server restarted
      poll();
    }
  }, POLL_MS);
}

function stopFollowing() {
  if (state.source) { state.source.close(); state.source = null; }
  clearTimeout(state.pollTimer);
}

// ---- the player ---------------------------------------------------------------------------------

function tick() {
  part("clock").textContent = formatTime(video.currentTime || 0);
  if (state.playUntil !== null && video.currentTime >= state.playUntil) {
    video.pause();
    state.playUntil = null;
  }
  if (!video.paused) requestAnimationFrame(tick);
}

function step(frames) {
  video.pause();
  video.currentTime = Math.max(0, frameTime(video.currentTime + frames / fps()));
}

video.addEventListener("play", () => requestAnimationFrame(tick));
video.addEventListener("pause", () => { state.playUntil = null; tick(); });
for (const name of ["seeked", "timeupdate", "loadedmetadata"]) video.addEventListener(name, tick);
video.addEventListener("error", () => {
  if (!state.recording) return;
  const missing = part("no-recording");
  missing.hidden = false;
  missing.textContent = t("The browser cannot play {name}. Cut times still work; for a preview, remux it to MP4: {command}", {
    name: state.recording.name, command: "ffmpeg -i recording.flv -c copy recording.mp4"});
});

document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
  const keys = {
    i: () => setMark("start"), o: () => setMark("end"), p: () => state.selected >= 0 && playRow(state.selected),
    ArrowLeft: () => step(-1), ArrowRight: () => step(1),
  };
  const action = keys[event.key] || keys[event.key.toLowerCase()];
  if (action) { event.preventDefault(); action(); }
});

part("set-in").addEventListener("click", () => setMark("start"));
part("set-out").addEventListener("click", () => setMark("end"));
part("play-cut").addEventListener("click", () => state.selected >= 0 && playRow(state.selected));
part("step-back").addEventListener("click", () => step(-1));
part("step-forward").addEventListener("click", () => step(1));
part("add").addEventListener("click", addRow);
part("delete").addEventListener("click", deleteRow);
part("save").addEventListener("click", saveCuts);
part("render").addEventListener("click", render);
part("settings").addEventListener("submit", saveSettings);
part("settings").elements.template.addEventListener("change", drawTemplateNote);
window.addEventListener("beforeunload", (event) => {
  if (state.dirty) event.preventDefault();
});

load()
  .then((ws) => {
    if (!ws.job) root.dataset.state = "idle";
    else if (ws.job.state === "queued" || ws.job.state === "running") follow();
  })
  .catch(showError);
