// The planner page: edit a show plan in the browser. The server owns every number: each edit
// changes the local document and asks POST /preview for timing, prices, margins and findings.
// Money, rates and minutes stay decimal strings ("7.5", "20.00") from input to request: the
// server refuses JSON floats for them. Text from the plan is only ever set as textContent.
// Interface text comes from t() in the page's language (i18n.js).

import {list, locale, money as formatMoney, t, tn} from "./i18n.js";

const root = document.getElementById("planner");
const API = root.dataset.api;
const PREVIEW_DELAY_MS = 300;

const KIND_LABELS = {
  opening: t("Opening"), product: t("Product segment"), giveaway: t("Giveaway"),
  interaction: t("Interaction"), encore: t("Encore"), closing: t("Closing"),
};
const ROLE_LABELS = {
  traffic: t("Traffic driver"), welfare: t("Welfare item"), hero: t("Hero item"),
  profit: t("Profit item"), image: t("Image item"), test: t("Test item"),
};
const OFFER_KINDS = {
  coupon: t("Show coupon"), flash_sale: t("Flash sale"), direct: t("Direct reduction"),
  percent: t("Percentage discount"), threshold: t("Threshold discount"),
};
// The fields each offer kind uses (studio.scripts.document.Offer); the others are cleared.
const OFFER_FIELDS = {
  direct: ["amount"],
  percent: ["percent_off"],
  threshold: ["tiers"],
  coupon: ["amount", "percent_off", "min_spend", "quantity"],
  flash_sale: ["price", "quantity", "per_buyer_limit"],
};
const FIELD_LABELS = {
  amount: t("Amount off"), percent_off: t("Percent off"), min_spend: t("Minimum spend"),
  quantity: t("Quantity"), price: t("Flash sale price"), per_buyer_limit: t("Limit per buyer"),
  shop_share: t("Shop's share (0–1)"),
};
const INTEGER_FIELDS = new Set(["quantity", "per_buyer_limit"]);
const OFFER_DEFAULTS = {
  coupon: { amount: "10.00" }, direct: { amount: "10.00" }, percent: { percent_off: "10" },
  threshold: { tiers: [{ min_spend: "199.00", off: "20.00" }] }, flash_sale: {},
};
const SELLING_KINDS = new Set(["product", "encore"]);

const state = {
  doc: null,          // the document being edited
  savedJson: "",      // the last saved document, to tell whether there are unsaved changes
  sheet: null,        // the run sheet of the newest successful preview
  version: Number(root.dataset.version),
  previewSeq: 0,      // bumped on every edit; an answer to an older document is dropped
  previewTimer: 0,
  busy: false,        // save or arrange on its way
  undo: [],           // earlier documents (JSON), newest last
  undoKey: null,      // the field being typed in, so one run of typing is one undo step
  rows: new Map(),    // slot id → the row's cells that the run sheet fills
  openPickers: new Set(), // slots whose offer list is open, kept open across redraws
  arranged: false,    // arrange ran since the last save (the version's note says so)
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

function currency() {
  return state.sheet?.currency || state.doc?.currency || "CNY";
}

/** "1234.5" → "¥1,234.50" in the page's language; Intl formats the decimal string, never a float. */
function money(value) {
  return formatMoney(value, currency());
}

/** A fraction as a percentage, "0.4662" → "46.62%": Intl multiplies the decimal string exactly. */
function percent(value) {
  if (value === null || value === undefined || value === "") return "";
  return percentFormat.format(String(value));
}
const percentFormat = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 20 });

function timeZone() {
  return state.sheet?.timezone || state.doc?.timezone || "Asia/Shanghai";
}

/** An ISO moment as the show's local clock time; seconds only when there are some; ⁺¹ after midnight. */
function clock(iso) {
  if (!iso) return "—";
  const format = new Intl.DateTimeFormat("en-CA", {
    timeZone: timeZone(), year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  const parts = (moment) => Object.fromEntries(
    format.formatToParts(new Date(moment)).map((p) => [p.type, p.value]));
  const at = parts(iso);
  let text = `${at.hour}:${at.minute}${at.second === "00" ? "" : `:${at.second}`}`;
  const showStart = state.sheet?.start || state.doc?.start;
  if (showStart) {
    const first = parts(showStart);
    if (`${at.year}${at.month}${at.day}` > `${first.year}${first.month}${first.day}`) text += " ⁺¹";
  }
  return text;
}

function slug(text) {
  return String(text).toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 56);
}

function uniqueId(base, taken) {
  let candidate = base || "slot";
  for (let n = 2; taken.has(candidate); n += 1) candidate = `${base}-${n}`;
  return candidate;
}

// ---- talking to the server ----------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code || "error";
    this.details = Array.isArray(error?.details) ? error.details : [];
  }
}

async function request(method, path, body) {
  let response;
  try {
    response = await fetch(API + path, {
      method,
      headers: { Accept: "application/json", "X-Studio-Actor": "web",
                 ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { code: "network", message: t("The server cannot be reached") });
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, payload?.error || {
      message: t("The server answered {status} {text}", { status: response.status, text: response.statusText }) });
  }
  return payload;
}

// ---- editing ------------------------------------------------------------------------------------

/**
 * Apply one change to the document. ``typing`` names the field being typed in so a run of
 * keystrokes is one undo step; ``redraw`` rebuilds the slot table / offers panel (never while a
 * field there is being typed in: rebuilding would break an IME composition).
 */
function edit(change, { typing = null, redraw = { slots: true, offers: true } } = {}) {
  if (!typing || typing !== state.undoKey) {
    state.undo.push(JSON.stringify(state.doc));
    if (state.undo.length > 100) state.undo.shift();
  }
  state.undoKey = typing;
  change(state.doc);
  if (redraw.slots) renderSlots();
  if (redraw.offers) renderOffers();
  afterEdit();
}

function afterEdit() {
  updateDirty();
  part("undo").disabled = state.undo.length === 0 || state.busy;
  schedulePreview();
}

function undo() {
  const previous = state.undo.pop();
  if (previous === undefined) return;
  state.doc = JSON.parse(previous);
  state.undoKey = null;
  renderSlots();
  renderOffers();
  afterEdit();
  setStatus(t("Undone"));
}

function segmentById(id) {
  return state.doc.segments.find((s) => s.id === id);
}

/** Move a slot; slots whose position changed lose arrange's reason, which no longer holds. */
function moveSlot(id, to) {
  const segments = state.doc.segments;
  const from = segments.findIndex((s) => s.id === id);
  if (from < 0 || to < 0 || to >= segments.length || to === from) return;
  edit((doc) => {
    const [moved] = doc.segments.splice(from, 1);
    doc.segments.splice(to, 0, moved);
    for (let i = Math.min(from, to); i <= Math.max(from, to); i += 1) doc.segments[i].reason = null;
  });
  const title = segmentById(id).title || id;
  setStatus(t("Moved “{title}” to position {n}", { title, n: to + 1 }));
}

function removeSlot(id) {
  const segment = segmentById(id);
  edit((doc) => { doc.segments = doc.segments.filter((s) => s.id !== id); });
  setStatus(t("Removed “{title}” — Undo brings it back", { title: segment.title || id }));
}

function schedulePreview() {
  state.previewSeq += 1;
  root.dataset.preview = "pending";
  clearTimeout(state.previewTimer);
  state.previewTimer = setTimeout(runPreview, PREVIEW_DELAY_MS);
}

async function runPreview() {
  const seq = state.previewSeq;
  try {
    const sheet = await request("POST", "/preview", { document: state.doc });
    if (seq !== state.previewSeq) return;
    state.sheet = sheet;
    showError(null);
    applySheet();
    root.dataset.preview = "idle";
  } catch (error) {
    if (seq !== state.previewSeq) return;
    showError(error, t("This edit cannot be checked"));
    root.dataset.preview = "error";
    const errors = part("sum-errors");
    errors.textContent = t("Invalid plan");
    errors.classList.remove("zero");
  }
}

function updateDirty() {
  const dirty = state.doc !== null && JSON.stringify(state.doc) !== state.savedJson;
  root.querySelector('[data-testid="unsaved"]').hidden = !dirty;
  root.dataset.dirty = dirty ? "yes" : "no";
  document.title = document.title.replace(/^● /, "");
  if (dirty) document.title = `● ${document.title}`;
  return dirty;
}

function setBusy(busy) {
  state.busy = busy;
  for (const role of ["save", "arrange"]) part(role).disabled = busy;
  part("undo").disabled = busy || state.undo.length === 0;
  root.setAttribute("aria-busy", busy ? "true" : "false");
}

async function save() {
  if (state.busy || !state.doc) return;
  const sent = JSON.stringify(state.doc);
  setBusy(true);
  setStatus(t("Saving…"));
  try {
    const note = state.arranged ? "arranged in the planner" : "edited in the planner";
    const answer = await request("PUT", "", { document: JSON.parse(sent), note,
                                              base_version: state.version });
    state.savedJson = sent;
    state.arranged = false;
    state.version = answer.version;
    root.querySelector('[data-testid="version"]').textContent = `v${answer.version}`;
    setStatus(answer.changed ? t("Saved as version v{version}", { version: answer.version })
                             : t("Nothing changed since the last save"));
    if (JSON.stringify(state.doc) === sent) {
      state.sheet = answer.runsheet;
      showError(null);
      applySheet();
    }
  } catch (error) {
    showError(error, t("Not saved"));
    setStatus("");
  } finally {
    setBusy(false);
    updateDirty();
  }
}

async function arrange() {
  if (state.busy || !state.doc) return;
  setBusy(true);
  setStatus(t("Arranging…"));
  const sent = JSON.stringify(state.doc);
  try {
    const answer = await request("POST", "/arrange", { document: JSON.parse(sent), save: false });
    if (JSON.stringify(state.doc) !== sent) {
      // an edit landed while the server worked: keep it rather than overwrite it
      setStatus(t("The plan changed while arranging: arrange again to use it"));
      return;
    }
    state.undo.push(sent);
    state.arranged = true;
    state.undoKey = null;
    state.previewSeq += 1; // a preview of the document before arrange is out of date
    clearTimeout(state.previewTimer);
    state.doc = answer.document;
    state.sheet = answer.runsheet;
    showError(null);
    renderSlots();
    renderOffers();
    root.dataset.preview = "idle";
    setStatus(t("Arranged — each slot says why it sits there; save to keep it"));
  } catch (error) {
    showError(error, t("Arrange failed"));
    setStatus("");
  } finally {
    setBusy(false);
    updateDirty();
  }
}

// ---- messages -----------------------------------------------------------------------------------

function setStatus(text) {
  part("status").textContent = text;
}

/** "segments[3] (hero-down).minutes" → "segments/hero-down/minutes", the key inputs carry. */
function pathKey(field) {
  const match = /^(segments|offers)\[\d+\](?: \(([^)]*)\))?(.*)$/.exec(field || "");
  if (!match) return null;
  const rest = match[3].replace(/^\./, "").replace(/\[(\d+)\]/g, "/$1").replace(/\./g, "/");
  return [match[1], match[2] ?? "", rest].filter((p, i) => i < 2 || p).join("/");
}

function showError(error, heading) {
  const box = part("error");
  for (const node of root.querySelectorAll(".invalid")) {
    node.classList.remove("invalid");
    node.removeAttribute("aria-invalid");
  }
  for (const note of root.querySelectorAll(".field-error")) note.remove();
  box.replaceChildren();
  box.hidden = !error;
  if (!error) return;
  box.append(el("strong", { text: `${heading}: ` }), el("span", { text: error.message }));
  if (error.details.length) {
    box.append(el("ul", {}, error.details.map((d) => el("li", {},
      d.field ? el("code", { text: d.field }) : null, d.field ? ": " : null, d.message))));
  }
  for (const detail of error.details) {
    const key = pathKey(detail.field);
    if (!key) continue;
    // the field's own input, else the nearest thing it belongs to (an offer card, a slot row)
    const candidates = [key, key.split("/").slice(0, 3).join("/"), key.split("/").slice(0, 2).join("/")];
    for (const candidate of candidates) {
      const node = root.querySelector(`[data-path="${CSS.escape(candidate)}"]`);
      if (node) {
        // the message also sits next to the field: the banner may be scrolled out of sight
        node.classList.add("invalid");
        node.setAttribute("aria-invalid", "true");
        const note = el("span", { className: "field-error", text: detail.message });
        if (node.matches("input, select")) node.after(note);
        else if (node.matches("tr")) node.querySelector("td.what").append(note);
        else node.append(note);
        break;
      }
    }
  }
}

const SEVERITY_LABELS = { error: t("Error"), warning: t("Warning"), info: t("Note") };

/** One check's finding; ``withSlot`` names the slot (for findings listed above the table). */
function findingItem(finding, { withSlot = false } = {}) {
  return el("li", { className: `sev-${finding.severity}`, dataset: { code: finding.code } },
    el("span", { className: "sev", text: SEVERITY_LABELS[finding.severity] ?? finding.severity }), " ",
    withSlot && finding.slot ? [el("code", { text: finding.slot }), " "] : null,
    finding.message);
}

// ---- the slot table -----------------------------------------------------------------------------

/** Rebuild the rows from the document, keeping focus on the same control of the same slot. */
function renderSlots() {
  const focusKey = document.activeElement?.dataset?.focus;
  const body = part("slots");
  state.rows.clear();
  const segments = state.doc.segments;
  body.replaceChildren(...segments.map((segment, index) => slotRow(segment, index, segments.length)));
  applySheet();
  if (focusKey) {
    let target = root.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`);
    if (target?.disabled) {
      // a slot moved to the top or bottom: stay on the row, on the button that still works
      const other = focusKey.endsWith(":move-up") ? focusKey.replace(/up$/, "down") : focusKey.replace(/down$/, "up");
      target = root.querySelector(`[data-focus="${CSS.escape(other)}"]`);
    }
    target?.focus();
  }
}

function slotRow(segment, index, count) {
  const id = segment.id;
  const name = segment.title || id;
  const focus = (what) => `${id}:${what}`;

  const start = el("span", { testid: "slot-start", text: "—" });
  const late = el("small", { className: "late" });
  const findings = el("div", { className: "slot-findings" });
  const finalPrice = el("td", { className: "num price", testid: "final-price", text: "—" });
  const margin = el("td", { className: "num", testid: "margin", text: "—" });
  const gmv = el("td", { className: "num", testid: "gmv", text: "—" });

  const minutes = el("input", {
    type: "number", step: "0.5", min: "0.5", max: "720", inputmode: "decimal",
    value: segment.minutes, testid: "slot-minutes", className: "minutes",
    "aria-label": t("Minutes of {name}", { name }), dataset: { focus: focus("minutes"), path: `segments/${id}/minutes` },
    oninput: (event) => edit((doc) => { doc.segments[indexOf(id)].minutes = event.target.value.trim(); },
      { typing: focus("minutes"), redraw: {} }),
  });
  const anchor = el("input", {
    type: "text", inputmode: "numeric", maxlength: "5", placeholder: "--:--", size: "5",
    value: segment.anchor ?? "", testid: "slot-anchor", className: "anchor",
    "aria-label": t("Fixed start (HH:MM) of {name}", { name }),
    dataset: { focus: focus("anchor"), path: `segments/${id}/anchor` },
    onchange: (event) => edit((doc) => {
      doc.segments[indexOf(id)].anchor = event.target.value.trim() || null;
    }),
  });
  const lock = el("input", {
    type: "checkbox", checked: Boolean(segment.locked), testid: "slot-lock",
    dataset: { focus: focus("lock"), path: `segments/${id}/locked` },
    "aria-label": t("Lock {name}: arrange keeps it where it is", { name }),
    onchange: (event) => edit((doc) => { doc.segments[indexOf(id)].locked = event.target.checked; }),
  });

  const handle = el("span", {
    className: "handle", draggable: "true", title: t("Drag to reorder"), text: "⠿",
    ondragstart: (event) => {
      event.dataTransfer.setData("text/plain", id);
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setDragImage(row, 16, 16);
      row.classList.add("dragging");
    },
    ondragend: () => row.classList.remove("dragging"),
  });

  // the role says more than "product"; other kinds show their kind
  const badges = [
    segment.role ? el("span", { className: `badge role-${segment.role}`, text: ROLE_LABELS[segment.role] ?? segment.role })
      : el("span", { className: `badge kind-${segment.kind}`, text: KIND_LABELS[segment.kind] ?? segment.kind }),
    segment.anchor ? el("span", { className: "badge anchored", text: t("at {time}", { time: segment.anchor }) }) : null,
    segment.locked ? el("span", { className: "badge locked", text: t("locked") }) : null,
  ];

  const what = el("td", { className: "what" },
    el("div", { className: "headline" }, badges, el("span", { className: "title", text: name })),
    segment.skus?.length || SELLING_KINDS.has(segment.kind) ? el("div", { className: "detail" },
      (segment.skus || []).map((code) => el("code", { className: "sku", text: code })),
      SELLING_KINDS.has(segment.kind) ? slotOffers(segment) : null) : null,
    el("p", { className: "reason", testid: "slot-reason", text: segment.reason ?? "",
              dataset: { label: t("Why:") } }),
    findings);

  const row = el("tr", {
    testid: "slot-row", className: `kind-${segment.kind}${segment.locked ? " locked" : ""}`,
    dataset: { slotId: id, path: `segments/${id}` },
  },
  el("td", { className: "handle-col" }, handle, el("span", { className: "index", text: String(index + 1) })),
  el("td", { className: "start" }, start, late),
  what,
  el("td", { className: "num" }, minutes),
  el("td", {}, anchor),
  el("td", { className: "lock" }, el("label", {}, lock, el("span", { className: "sr", text: t("Lock") }))),
  finalPrice, margin, gmv,
  el("td", { className: "row-actions" },
    el("button", { type: "button", className: "icon", testid: "move-up", text: "↑", disabled: index === 0,
      "aria-label": t("Move up {name}", { name }), dataset: { focus: focus("move-up") },
      onclick: () => moveSlot(id, indexOf(id) - 1) }),
    el("button", { type: "button", className: "icon", testid: "move-down", text: "↓", disabled: index === count - 1,
      "aria-label": t("Move down {name}", { name }), dataset: { focus: focus("move-down") },
      onclick: () => moveSlot(id, indexOf(id) + 1) }),
    el("button", { type: "button", className: "icon danger", testid: "remove", text: "✕",
      "aria-label": t("Remove {name}", { name }), title: t("Remove"), onclick: () => removeSlot(id) })));

  state.rows.set(id, { row, start, late, findings, finalPrice, margin, gmv });
  return row;
}

function indexOf(id) {
  return state.doc.segments.findIndex((s) => s.id === id);
}

/** The slot's offers: the chosen ones at a glance, a pop-open list of checkboxes to change them. */
function slotOffers(segment) {
  const offers = state.doc.offers || [];
  const chosen = offers.filter((o) => segment.offers.includes(o.id));
  const picker = el("details", {
    className: "offer-picker", open: state.openPickers.has(segment.id),
    ontoggle: (event) => {
      if (event.target.open) state.openPickers.add(segment.id); else state.openPickers.delete(segment.id);
    },
  },
  el("summary", { dataset: { focus: `${segment.id}:offers` },
    "aria-label": t("Offers of {name}", { name: segment.title || segment.id }) },
  chosen.length ? chosen.map((o) => el("span", { className: "chip on", text: o.label || o.id }))
    : el("span", { className: "muted", text: `＋ ${t("Offers")}` })),
  offers.length ? el("fieldset", { className: "slot-offers" },
    el("legend", { className: "sr", text: t("Offers of {name}", { name: segment.title || segment.id }) }),
    offers.map((offer) => el("label", { className: "chip" },
      el("input", {
        type: "checkbox", checked: segment.offers.includes(offer.id),
        dataset: { focus: `${segment.id}:offer:${offer.id}` },
        onchange: (event) => edit((doc) => {
          const target = doc.segments[indexOf(segment.id)];
          target.offers = target.offers.filter((o) => o !== offer.id);
          if (event.target.checked) target.offers.push(offer.id);
        }),
      }),
      el("span", { text: offer.label || offer.id }))))
    : el("p", { className: "muted", text: t("No offers yet: add them below") }));
  return picker;
}

/** Fill the computed cells (time, prices, findings) and the summary from the run sheet. */
function applySheet() {
  const sheet = state.sheet;
  if (!sheet) return;
  const bySlot = new Map(sheet.slots.map((s) => [s.id, s]));
  const known = new Set();
  for (const [id, cells] of state.rows) {
    const slot = bySlot.get(id);
    if (!slot) continue; // a slot added since the last preview
    known.add(id);
    cells.start.textContent = clock(slot.start);
    cells.start.title = `${clock(slot.start)}–${clock(slot.end)}`;
    cells.late.textContent = slot.late_seconds > 0
      ? t("{n} min late", { n: Math.ceil(slot.late_seconds / 60) }) : "";
    const lead = slot.prices?.[0];
    cells.finalPrice.replaceChildren(...(lead ? [
      el("strong", { text: money(lead.final_price) }),
      lead.live_price && lead.live_price !== lead.final_price ? el("small", { text: t("Live price {price}", { price: money(lead.live_price) }) }) : null,
    ].filter(Boolean) : ["—"]));
    cells.finalPrice.title = lead ? t("{product}: list price {list} → daily price {daily} → live price {live} → price after coupon {final}", {
      product: lead.label, list: money(lead.list_price), daily: money(lead.daily_price),
      live: money(lead.live_price), final: money(lead.final_price) }) : "";
    const negative = lead?.margin?.startsWith("-");
    cells.margin.replaceChildren(...(lead && lead.margin !== null ? [
      el("strong", { className: negative ? "loss" : "", text: money(lead.margin) }),
      el("small", { text: percent(lead.margin_rate) }),
    ] : [lead ? el("span", { className: "muted", text: t("no cost"), title: t("cost unknown") }) : "—"]));
    cells.gmv.textContent = slot.expected_gmv === null ? "—" : money(slot.expected_gmv);
    cells.findings.replaceChildren(el("ul", { className: "findings", testid: "findings" },
      slot.findings.map((f) => findingItem(f))));
    const worst = slot.findings.some((f) => f.severity === "error") ? "error"
      : slot.findings.some((f) => f.severity === "warning") ? "warning" : "";
    cells.row.dataset.severity = worst;
  }
  const orphans = sheet.findings.filter((f) => !f.slot || !known.has(f.slot));
  part("plan-findings").replaceChildren(...orphans.map((f) => findingItem(f, { withSlot: true })));
  renderSummary(sheet);
}

function renderSummary(sheet) {
  part("title").textContent = sheet.title;
  part("sum-start").textContent = clock(sheet.start);
  part("sum-end").textContent = `${clock(sheet.end)} / ${clock(sheet.planned_end)}`;
  // whole minutes of clock time, for a label only
  const over = Math.round((Date.parse(sheet.end) - Date.parse(sheet.planned_end)) / 60000);
  const note = part("sum-end-note");
  note.className = over > 0 ? "bad" : over < 0 ? "warn" : "good";
  note.textContent = over > 0 ? t("over the show by {n} min", { n: over })
    : over < 0 ? t("{n} min to spare", { n: -over })
    : t("ends on time");
  part("sum-gmv").textContent = money(sheet.expected_gmv);
  part("sum-target").textContent = sheet.gmv_target ? t("target {amount}", { amount: money(sheet.gmv_target) }) : t("no target");
  part("sum-margin").textContent = sheet.expected_margin === null ? `— (${t("cost unknown")})` : money(sheet.expected_margin);
  part("sum-margin").classList.toggle("loss", Boolean(sheet.expected_margin?.startsWith("-")));
  const errors = part("sum-errors");
  errors.textContent = tn("{n} error", "{n} errors", sheet.errors);
  errors.classList.toggle("zero", sheet.errors === 0);
  const warnings = part("sum-warnings");
  warnings.textContent = tn("{n} warning", "{n} warnings", sheet.warnings);
  warnings.classList.toggle("zero", sheet.warnings === 0);
}

// drag and drop: drop a row before or after another one (the ↑ ↓ buttons do the same by keyboard)
function dropTarget(event) {
  const row = event.target.closest?.('tr[data-testid="slot-row"]');
  if (!row) return null;
  const box = row.getBoundingClientRect();
  return { row, after: event.clientY > box.top + box.height / 2 };
}

function clearDropMarks() {
  for (const row of root.querySelectorAll(".drop-before, .drop-after")) row.classList.remove("drop-before", "drop-after");
}

function wireDragAndDrop() {
  const body = part("slots");
  body.addEventListener("dragover", (event) => {
    const target = dropTarget(event);
    if (!target || !event.dataTransfer.types.includes("text/plain")) return;
    event.preventDefault();
    clearDropMarks();
    target.row.classList.add(target.after ? "drop-after" : "drop-before");
  });
  body.addEventListener("dragleave", (event) => { if (!body.contains(event.relatedTarget)) clearDropMarks(); });
  body.addEventListener("drop", (event) => {
    const target = dropTarget(event);
    clearDropMarks();
    if (!target) return;
    event.preventDefault();
    const id = event.dataTransfer.getData("text/plain");
    const from = indexOf(id);
    if (from < 0) return;
    let to = indexOf(target.row.dataset.slotId) + (target.after ? 1 : 0);
    if (from < to) to -= 1;
    moveSlot(id, to);
  });
}

// ---- offers -------------------------------------------------------------------------------------

function renderOffers() {
  const focusKey = document.activeElement?.dataset?.focus;
  const offers = state.doc.offers || [];
  const box = part("offers");
  box.replaceChildren(...(offers.length ? offers.map(offerCard)
    : [el("p", { className: "empty", text: t("No offers yet: add a coupon, flash sale or discount below.") })]));
  if (focusKey) root.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`)?.focus();
}

function offerCard(offer) {
  const id = offer.id;
  const used = state.doc.segments.filter((s) => s.offers?.includes(id)).map((s) => s.title || s.id);
  const field = (name, { integer = false } = {}) => el("label", {},
    FIELD_LABELS[name],
    el("input", {
      value: offer[name] ?? "", inputmode: integer ? "numeric" : "decimal", size: "8",
      dataset: { focus: `offer:${id}:${name}`, path: `offers/${id}/${name}` },
      oninput: (event) => edit((doc) => {
        const text = event.target.value.trim();
        // counts are integers; money and rates stay decimal strings
        doc.offers[offerIndex(id)][name] = text === "" ? null
          : integer && /^\d+$/.test(text) ? Number(text) : text;
      }, { typing: `offer:${id}:${name}`, redraw: {} }),
    }));

  const fields = OFFER_FIELDS[offer.kind] ?? [];
  const body = el("div", { className: "offer-fields" },
    fields.filter((f) => f !== "tiers").map((name) => field(name, { integer: INTEGER_FIELDS.has(name) })),
    fields.includes("tiers") ? tiersEditor(offer) : null,
    field("shop_share"),
    el("label", { className: "grow" }, t("Only these SKUs"), el("input", {
      value: (offer.skus || []).join(", "), placeholder: t("all SKUs of the slot"), autocomplete: "off",
      dataset: { focus: `offer:${id}:skus`, path: `offers/${id}/skus` },
      oninput: (event) => edit((doc) => {
        doc.offers[offerIndex(id)].skus = event.target.value.split(/[\s,，]+/).filter(Boolean);
      }, { typing: `offer:${id}:skus`, redraw: {} }),
    })));

  const hint = { coupon: t("An amount or a percentage off, not both"),
                 flash_sale: t("The flash sale price replaces the live price"),
                 threshold: t("The best tier the order reaches applies") }[offer.kind];
  return el("fieldset", { className: "offer", dataset: { offerId: id, path: `offers/${id}` }, testid: "offer" },
    el("legend", {}, el("code", { text: id })),
    el("div", { className: "offer-head" },
      el("label", {}, `${t("Kind")} `, el("select", {
        dataset: { focus: `offer:${id}:kind`, path: `offers/${id}/kind` },
        onchange: (event) => edit((doc) => {
          const target = doc.offers[offerIndex(id)];
          target.kind = event.target.value;
          for (const name of ["amount", "percent_off", "min_spend", "price", "quantity", "per_buyer_limit"]) {
            if (!OFFER_FIELDS[target.kind].includes(name)) target[name] = null;
          }
          if (target.kind !== "threshold") target.tiers = [];
          Object.assign(target, Object.fromEntries(Object.entries(structuredClone(OFFER_DEFAULTS[target.kind]))
            .filter(([name]) => target[name] === null || target[name] === undefined
                                || (Array.isArray(target[name]) && !target[name].length))));
        }, { redraw: { slots: false, offers: true } }),
      }, Object.entries(OFFER_KINDS).map(([value, label]) => el("option", { value, selected: value === offer.kind, text: label })))),
      el("label", { className: "grow" }, `${t("Label")} `, el("input", {
        value: offer.label ?? "", maxlength: "200", placeholder: id,
        dataset: { focus: `offer:${id}:label`, path: `offers/${id}/label` },
        oninput: (event) => edit((doc) => { doc.offers[offerIndex(id)].label = event.target.value.trim() || null; },
          { typing: `offer:${id}:label`, redraw: {} }),
        onchange: () => renderSlots(), // the slot checkboxes show the label
      })),
      el("button", { type: "button", className: "icon danger", text: "✕", title: t("Delete offer"),
        "aria-label": t("Delete offer {id}", { id }),
        onclick: () => {
          edit((doc) => {
            doc.offers = doc.offers.filter((o) => o.id !== id);
            for (const s of doc.segments) s.offers = (s.offers || []).filter((o) => o !== id);
          }, { redraw: { slots: true, offers: true } });
          setStatus(used.length ? tn("Deleted offer {id} (removed from {n} slot)", "Deleted offer {id} (removed from {n} slots)", used.length, { id })
                                : t("Deleted offer {id}", { id }));
        } })),
    hint ? el("p", { className: "kind-hint", text: hint }) : null,
    body,
    el("p", { className: "used", text: used.length ? t("Used by: {slots}", { slots: list(used) }) : t("Not used by any slot") }));
}

function offerIndex(id) {
  return state.doc.offers.findIndex((o) => o.id === id);
}

function tiersEditor(offer) {
  const id = offer.id;
  const tiers = offer.tiers || [];
  return el("div", { className: "tiers" },
    el("span", { className: "label", text: t("Tiers (spend at least → amount off)") }),
    tiers.map((tier, n) => el("div", { className: "tier", dataset: { path: `offers/${id}/tiers` } },
      ...["min_spend", "off"].map((name) => el("label", {}, name === "min_spend" ? t("Spend at least") : t("Amount off"), el("input", {
        value: tier[name] ?? "", inputmode: "decimal", size: "7",
        dataset: { focus: `offer:${id}:tier${n}:${name}`, path: `offers/${id}/tiers/${n}/${name}` },
        oninput: (event) => edit((doc) => { doc.offers[offerIndex(id)].tiers[n][name] = event.target.value.trim(); },
          { typing: `offer:${id}:tier${n}:${name}`, redraw: {} }),
      }))),
      el("button", { type: "button", className: "icon danger", text: "✕", "aria-label": t("Remove tier {n}", { n: n + 1 }),
        onclick: () => edit((doc) => { doc.offers[offerIndex(id)].tiers.splice(n, 1); },
          { redraw: { slots: false, offers: true } }) }))),
    el("button", { type: "button", className: "secondary small", text: `+ ${t("Add tier")}`,
      dataset: { focus: `offer:${id}:add-tier` },
      onclick: () => edit((doc) => { doc.offers[offerIndex(id)].tiers.push({ min_spend: "", off: "" }); },
        { redraw: { slots: false, offers: true } }) }));
}

function addOffer(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const kind = form.elements.kind.value;
  const taken = new Set(state.doc.offers.map((o) => o.id));
  const wanted = slug(form.elements.id.value) || kind.replace("_", "-");
  const id = uniqueId(wanted, taken);
  const offer = { id, kind, label: null, amount: null, percent_off: null, tiers: [], min_spend: null,
                  price: null, quantity: null, per_buyer_limit: null, shop_share: "1", skus: [],
                  ...structuredClone(OFFER_DEFAULTS[kind]) };
  edit((doc) => { doc.offers.push(offer); }, { redraw: { slots: true, offers: true } });
  form.elements.id.value = "";
  root.querySelector(`[data-focus="offer:${CSS.escape(id)}:label"]`)?.focus();
  setStatus(t("Added offer {id}: tick it on the slots that use it", { id }));
}

// ---- adding a slot ------------------------------------------------------------------------------

function addSlot(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const kind = form.elements.kind.value;
  const skus = form.elements.skus.value.split(/[\s,，]+/).map((s) => s.trim()).filter(Boolean);
  const title = form.elements.title.value.trim() || null;
  const taken = new Set(state.doc.segments.map((s) => s.id));
  const id = uniqueId(slug(SELLING_KINDS.has(kind) && skus.length ? skus[0] : title || kind) || kind, taken);
  const segment = {
    id, kind, title, minutes: form.elements.minutes.value.trim() || "5", anchor: null, locked: false,
    role: kind === "product" ? form.elements.role.value : null,
    skus: SELLING_KINDS.has(kind) ? skus : [], selling_points: [], talk_track: [], offers: [],
    stock: {}, target_units: null, target_gmv: null, units_per_order: 1, prize: null,
    winners: null, entry_rule: null, allow_loss: false, notes: null, reason: null,
  };
  const segments = state.doc.segments;
  // before the closing when there is one at the end
  const at = segments.length && segments[segments.length - 1].kind === "closing" && kind !== "closing"
    ? segments.length - 1 : segments.length;
  edit((doc) => { doc.segments.splice(at, 0, segment); });
  form.elements.title.value = "";
  form.elements.skus.value = "";
  root.querySelector(`tr[data-slot-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: "nearest" });
  setStatus(t("Added “{title}” at position {n}", { title: title || id, n: at + 1 }));
}

function syncAddSlotForm() {
  const form = part("add-slot");
  const kind = form.elements.kind.value;
  form.elements.skus.closest("label").hidden = !SELLING_KINDS.has(kind);
  form.elements.role.closest("label").hidden = kind !== "product";
}

// ---- start --------------------------------------------------------------------------------------

async function load() {
  try {
    const [plan, sheet] = await Promise.all([request("GET", ""), request("GET", "/runsheet")]);
    state.doc = plan.document;
    state.savedJson = JSON.stringify(plan.document);
    state.version = plan.current_version;
    state.sheet = sheet;
    root.querySelector('[data-testid="version"]').textContent = `v${plan.current_version}`;
    renderSlots();
    renderOffers();
    updateDirty();
    root.dataset.preview = "idle";
  } catch (error) {
    showError(error, t("The plan cannot be opened"));
    root.dataset.preview = "error";
  }
}

part("save").addEventListener("click", save);
part("arrange").addEventListener("click", arrange);
part("undo").addEventListener("click", undo);
part("add-offer").addEventListener("submit", addOffer);
part("add-slot").addEventListener("submit", addSlot);
part("add-slot").elements.kind.addEventListener("change", syncAddSlotForm);
syncAddSlotForm();
wireDragAndDrop();
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
    event.preventDefault();
    save();
  }
});
window.addEventListener("beforeunload", (event) => {
  if (updateDirty()) event.preventDefault();
});
load();
