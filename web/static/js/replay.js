// The review 复盘 dashboard and the compare page: plotly.js charts of the review's minutes with the
// event log's markers, an HTML5 player that every chart point, marker, finding and table row
// seeks, and tables sorted by a click on their header. The same file runs inline in the
// self-contained HTML report, so it imports nothing and fetches nothing: its data is the JSON in
// #replay-data. Text from exports and the event log reaches the page as textContent only, and
// reaches plotly (which reads a little HTML in its labels) escaped. Interface text comes from the
// page's #i18n block, read here by the same rules as i18n.js (this file can import nothing).

const root = document.getElementById("replay");
const data = JSON.parse(document.getElementById("replay-data").textContent);
const i18n = JSON.parse(document.getElementById("i18n")?.textContent || "{}");
const locale = i18n.locale || document.documentElement.lang || "zh-CN";

/** The message for `key` in the page's language, with `{name}` placeholders filled from `params`. */
function t(key, params = {}) {
  const found = i18n.messages?.[key];
  return (typeof found === "string" && found ? found : key)
    .replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

const COLORS = {
  gmv: "#e8453c", online: "#2563eb", orders: "#0f9d58", cursor: "#111827",
  card: "#2563eb", coupon: "#d97706", flash_sale: "#dc2626", giveaway: "#059669",
  status: "#6b7280", slot: "#7c3aed", a: "#e8453c", b: "#2563eb",
};
const KINDS = {
  card: t("Card"), coupon: t("Coupon"), flash_sale: t("Flash sale"),
  giveaway: t("Giveaway"), status: t("Status"), slot: t("Slot"),
};
const SYMBOLS = {
  card: "square", coupon: "diamond", flash_sale: "star", giveaway: "circle",
  status: "triangle-down", slot: "line-ns-open",
};
const LINED = new Set(["card", "coupon", "flash_sale", "giveaway"]); // drawn across every panel
const MINUTE_MS = 60000;
const CONFIG = {
  displaylogo: false, responsive: true,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
};

// ---- small helpers ------------------------------------------------------------------------------

/** Text for a plotly label: plotly reads <b>, <br> and entities there, so untrusted text is escaped. */
function plotText(value) {
  return String(value ?? "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const moneyFormat = new Intl.NumberFormat(locale, { style: "currency", currency: "CNY" });

/** "¥1,234.50" from the API's decimal string: Intl formats the string, never a float. */
function money(text) {
  if (text === null || text === undefined) return "—";
  return moneyFormat.format(String(text));
}

function clock(seconds) {
  if (!Number.isFinite(seconds)) return "—";
  const whole = Math.round(Math.abs(seconds));
  const h = Math.floor(whole / 3600), m = Math.floor(whole / 60) % 60, s = whole % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return `${seconds < 0 ? "−" : ""}${h ? `${h}:${pad(m)}` : m}:${pad(s)}`;
}

/** A wall-clock "YYYY-MM-DD HH:MM:SS" moved by some seconds (calendar arithmetic; no zone involved). */
function shiftWallClock(x, seconds) {
  const moment = Date.parse(`${x.replace(" ", "T")}Z`) + seconds * 1000;
  return new Date(moment).toISOString().slice(0, 19).replace("T", " ");
}

// ---- the player ---------------------------------------------------------------------------------

/** An HTML5 <video> of a show's recording that seeks by offsets from going live. */
class Player {
  constructor(figure, startX) {
    this.video = figure.querySelector("video");
    this.offset = Number(figure.dataset.offset || 0); // video seconds at the moment the show went live
    this.clock = figure.querySelector("[data-role=clock]");
    this.status = figure.querySelector("[data-role=status]");
    this.note = figure.querySelector("[data-role=no-recording]");
    this.startX = startX;
    this.listeners = [];
    this.video.addEventListener("timeupdate", () => this.tick());
    this.video.addEventListener("seeked", () => this.tick());
    this.video.addEventListener("error", () => this.say(
      t("The browser cannot play this recording (its codec or container).")));
    figure.querySelector("[data-role=pick]").addEventListener("change", (event) => {
      const file = event.target.files[0];
      if (!file) return;
      if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
      this.objectUrl = URL.createObjectURL(file);
      this.video.src = this.objectUrl;
      if (this.note) this.note.hidden = true;
      this.say(t("Opened {name}", { name: file.name }));
    });
    this.follow(figure);
  }

  /** While it plays scrolled out of view, the video floats in a corner (tables are far below it). */
  follow(figure) {
    let hidden = false;
    const update = () => figure.classList.toggle("floating", hidden && !this.video.paused);
    new IntersectionObserver((entries) => {
      hidden = !entries[entries.length - 1].isIntersecting;
      update();
    }).observe(figure);
    this.video.addEventListener("play", update);
    this.video.addEventListener("pause", update);
  }

  get loaded() {
    return Boolean(this.video.getAttribute("src"));
  }

  say(text) {
    this.status.textContent = text;
  }

  /** Seconds of the show (from going live) where the video is now. */
  showSeconds() {
    return this.video.currentTime - this.offset;
  }

  seek(seconds) {
    if (!Number.isFinite(seconds)) return;
    if (!this.loaded) {
      this.say(`${clock(seconds)} · ${t("Open the recording first")}`);
      return;
    }
    const target = Math.max(0, seconds + this.offset);
    const go = () => {
      const end = this.video.duration;
      if (Number.isFinite(end) && target > end) {
        this.say(t("The recording ends at {end}, before {time}", { end: clock(end - this.offset), time: clock(seconds) }));
      } else {
        this.say(`▶ ${clock(seconds)}`);
      }
      this.video.currentTime = Number.isFinite(end) ? Math.min(target, end) : target;
      this.video.play().catch(() => {}); // a refused autoplay leaves it paused at the moment
    };
    if (this.video.readyState >= HTMLMediaElement.HAVE_METADATA) go();
    else this.video.addEventListener("loadedmetadata", go, { once: true });
  }

  tick() {
    const seconds = this.showSeconds();
    const wall = this.startX ? ` · ${shiftWallClock(this.startX, seconds).slice(11)}` : "";
    this.clock.textContent = `${clock(seconds)}${wall}`;
    for (const listener of this.listeners) listener(seconds);
  }
}

// ---- tables sorted by their headers -------------------------------------------------------------

const NUMERIC = (kind) => !["text", "list", "time"].includes(kind);

function makeSortable(table) {
  const headers = [...table.tHead.rows[0].cells];
  headers.forEach((th, index) => {
    th.querySelector("button").addEventListener("click", () => {
      const numeric = NUMERIC(th.dataset.kind);
      const was = th.getAttribute("aria-sort");
      const direction = was === "none" ? (numeric ? "descending" : "ascending")
        : was === "ascending" ? "descending" : "ascending";
      for (const other of headers) other.setAttribute("aria-sort", "none");
      th.setAttribute("aria-sort", direction);
      const sign = direction === "ascending" ? 1 : -1;
      const body = table.tBodies[0];
      const rows = [...body.rows];
      rows.sort((a, b) => {
        const x = a.cells[index].dataset.sort, y = b.cells[index].dataset.sort;
        if (x === "" || y === "") return (x === "") - (y === ""); // blanks last either way
        return sign * (numeric ? Number(x) - Number(y) : x.localeCompare(y, locale));
      });
      body.append(...rows);
    });
  });
}

// ---- the show's timeline: GMV, online viewers and orders per minute, with markers ----------------

function markerTraces(markers) {
  const kinds = Object.keys(KINDS).filter((kind) => markers.some((m) => m.kind === kind));
  const traces = kinds.map((kind) => {
    const own = markers.filter((m) => m.kind === kind && m.x);
    return {
      type: "scatter", mode: "markers", name: KINDS[kind], legendgroup: "markers",
      x: own.map((m) => m.x), y: own.map(() => KINDS[kind]), xaxis: "x", yaxis: "y4",
      customdata: own.map((m) => [m.seconds, plotText(m.label)]),
      marker: { symbol: SYMBOLS[kind], size: 11, color: COLORS[kind], line: { width: 1, color: "#fff" } },
      hovertemplate: `%{customdata[1]}<extra>${KINDS[kind]}</extra>`, // the unified label has the time
      showlegend: false,
    };
  });
  return { traces, kinds };
}

function drawTimeline(node, player) {
  const minutes = data.by_minute;
  const x = minutes.map((m) => m.x);
  const perMinute = { xperiod: MINUTE_MS, xperiodalignment: "middle", xaxis: "x" };
  const traces = [
    {
      ...perMinute, type: "bar", name: t("GMV"), yaxis: "y", x, y: minutes.map((m) => Number(m.gmv)),
      customdata: minutes.map((m) => [m.seconds, money(m.gmv)]), marker: { color: COLORS.gmv },
      hovertemplate: `${plotText(t("GMV"))} %{customdata[1]}<extra></extra>`,
    },
    {
      ...perMinute, type: "scatter", mode: "lines+markers", name: t("Online"), yaxis: "y2", x,
      y: minutes.map((m) => m.online_viewers), customdata: minutes.map((m) => [m.seconds]),
      line: { color: COLORS.online, width: 2 }, marker: { size: 4 }, fill: "tozeroy",
      fillcolor: "rgba(37, 99, 235, .08)", connectgaps: false,
      hovertemplate: `${plotText(t("Online"))} %{y:,}<extra></extra>`,
    },
    {
      ...perMinute, type: "bar", name: t("Orders"), yaxis: "y3", x, y: minutes.map((m) => m.orders),
      customdata: minutes.map((m) => [m.seconds]), marker: { color: COLORS.orders },
      hovertemplate: `${plotText(t("Orders"))} %{y:,}<extra></extra>`,
    },
  ];
  const rail = markerTraces(data.markers);
  const shapes = data.markers.filter((m) => LINED.has(m.kind) && m.x).map((m) => ({
    type: "line", xref: "x", yref: "paper", x0: m.x, x1: m.x, y0: 0, y1: 0.84, layer: "below",
    line: { color: COLORS[m.kind], width: 1, dash: m.kind === "card" ? "dot" : "dash" },
  }));
  const cursor = shapes.length;
  shapes.push({
    type: "line", xref: "x", yref: "paper", x0: x[0], x1: x[0], y0: 0, y1: 1, visible: false,
    line: { color: COLORS.cursor, width: 1.5 },
  });
  const axis = (title, domain) => ({
    domain, anchor: "x", fixedrange: true, rangemode: "tozero", title: { text: title, standoff: 6 },
    gridcolor: "#eef0f3", zeroline: false,
  });
  const layout = {
    margin: { l: 70, r: 20, t: 10, b: 44 }, bargap: 0.15, showlegend: false,
    hovermode: "x unified", dragmode: "zoom", font: { family: getComputedStyle(root).fontFamily, size: 12 },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff",
    xaxis: {
      type: "date", anchor: "y3", tickformat: "%H:%M", hoverformat: "%H:%M:%S",
      showspikes: true, spikemode: "across", spikethickness: 1, spikecolor: "#9ca3af",
      title: { text: `${plotText(t("Time"))} (${plotText(data.timezone)})`, standoff: 8 }, gridcolor: "#eef0f3",
    },
    yaxis: axis(`${plotText(t("GMV"))} ¥`, [0.58, 0.8]),
    yaxis2: axis(plotText(t("Online")), [0.3, 0.54]),
    yaxis3: axis(plotText(t("Orders")), [0, 0.26]),
    yaxis4: {
      domain: [0.84, 1], anchor: "x", type: "category", categoryorder: "array",
      categoryarray: [...rail.kinds].reverse().map((k) => KINDS[k]), fixedrange: true,
      tickmode: "array", tickvals: rail.kinds.map((k) => KINDS[k]),
      showgrid: true, gridcolor: "#f3f4f6", tickfont: { size: 10 },
    },
    shapes,
  };
  window.Plotly.newPlot(node, [...traces, ...rail.traces], layout, CONFIG);
  node.on("plotly_click", (event) => {
    const point = event.points.find((p) => Array.isArray(p.customdata)) || event.points[0];
    if (point && Array.isArray(point.customdata)) player.seek(point.customdata[0]);
  });
  let shown = null;
  player.listeners.push((seconds) => {
    if (!data.recording_start_x) return;
    const at = shiftWallClock(data.recording_start_x, Math.round(seconds));
    if (at === shown) return; // one relayout a second at most
    shown = at;
    window.Plotly.relayout(node, {
      [`shapes[${cursor}].x0`]: at, [`shapes[${cursor}].x1`]: at, [`shapes[${cursor}].visible`]: true,
    });
  });
}

// ---- the compare page: two shows by minutes since going live -------------------------------------

function drawOverlay(node, players) {
  const traces = [];
  for (const side of ["a", "b"]) {
    const show = data[side];
    const x = show.minutes.map((m) => m.t);
    const name = plotText(show.title);
    traces.push({
      type: "bar", name: `${name} ${plotText(t("GMV"))}`, meta: side, x, y: show.minutes.map((m) => Number(m.gmv)),
      yaxis: "y", customdata: show.minutes.map((m) => [m.seconds, money(m.gmv), m.minute]),
      marker: { color: COLORS[side], opacity: 0.75 }, offsetgroup: side,
      hovertemplate: `${name} %{customdata[2]} · ${plotText(t("GMV"))} %{customdata[1]}<extra></extra>`,
    });
    traces.push({
      type: "scatter", mode: "lines+markers", name: `${name} ${plotText(t("Online"))}`, meta: side, x,
      y: show.minutes.map((m) => m.online_viewers), yaxis: "y2",
      customdata: show.minutes.map((m) => [m.seconds, null, m.minute]),
      line: { color: COLORS[side], width: 2 }, marker: { size: 4 },
      hovertemplate: `${name} %{customdata[2]} · ${plotText(t("Online"))} %{y:,}<extra></extra>`,
    });
  }
  const layout = {
    margin: { l: 70, r: 20, t: 10, b: 90 }, barmode: "group", bargap: 0.2,
    hovermode: "closest", // a click seeks the show whose point is under the pointer font: { family: getComputedStyle(root).fontFamily, size: 12 },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff",
    legend: { orientation: "h", x: 0, y: -0.16, yanchor: "top" },
    xaxis: {
      anchor: "y2", title: { text: plotText(t("Minutes since going live")), standoff: 8 },
      gridcolor: "#eef0f3", showspikes: true, spikemode: "across", spikethickness: 1,
    },
    yaxis: { domain: [0.54, 1], anchor: "x", fixedrange: true, title: { text: `${plotText(t("GMV"))} ¥` }, gridcolor: "#eef0f3" },
    yaxis2: { domain: [0, 0.46], anchor: "x", fixedrange: true, title: { text: plotText(t("Online")) }, gridcolor: "#eef0f3" },
  };
  window.Plotly.newPlot(node, traces, layout, CONFIG);
  node.on("plotly_click", (event) => {
    const point = event.points[0];
    if (point && Array.isArray(point.customdata)) players[point.data.meta].seek(point.customdata[0]);
  });
}

// ---- wiring -------------------------------------------------------------------------------------

function chartsOr(node, draw) {
  if (!node) return;
  if (!window.Plotly) {
    root.querySelector("[data-role=chart-fallback]").hidden = false;
    return;
  }
  draw(node);
  node.dataset.ready = "true";
}

function setUpShow() {
  const player = new Player(root.querySelector("[data-role=player]"), data.recording_start_x);
  chartsOr(root.querySelector("[data-role=timeline]"), (node) => drawTimeline(node, player));
  for (const table of root.querySelectorAll("table.sortable")) makeSortable(table);
  const jump = (target) => {
    for (const other of root.querySelectorAll(".playing")) other.classList.remove("playing");
    target.classList.add("playing");
    player.seek(Number(target.dataset.seconds));
  };
  root.addEventListener("click", (event) => {
    const target = event.target.closest("[data-seconds]");
    if (target && !event.target.closest("th")) jump(target);
  });
  root.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("tr[data-seconds]")) jump(event.target);
  });
}

function setUpCompare() {
  const players = {};
  for (const section of root.querySelectorAll("[data-side]")) {
    players[section.dataset.side] = new Player(section.querySelector("[data-role=player]"), null);
  }
  chartsOr(root.querySelector("[data-role=overlay]"), (node) => drawOverlay(node, players));
}

if (data.kind === "compare") setUpCompare();
else setUpShow();
root.dataset.state = "ready";
