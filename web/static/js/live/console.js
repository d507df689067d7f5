// 中控台 Operator console: the show's status, run sheet, product card, products, promotions,
// comment feed and live stats, all driven by the show's WebSocket (live/client.js).
//
// The plan's run sheet (GET /api/v1/plans/{show}/runsheet) gives the list of slots and the
// products (each slot's priced SKUs); the live state says which slot and card are on air. A
// show without a plan still works: products can be taken by SKU.
//
// Panels render from `live.view` when the keys they show change. Every command goes through
// send(): a rejection becomes a toast with the server's reason.

import {t} from "../i18n.js";
import {LiveClient, pageSettings} from "./client.js";
import {count, countdown, el, fill, money, setClock, startCountdowns, timeOfDay} from "./dom.js";
import {setupFeed} from "./console-feed.js";
import {setupPromotions} from "./console-promos.js";

const root = document.getElementById("console");
const $ = (id) => document.getElementById(id);
const settings = pageSettings(root);
const live = new LiveClient({showId: settings.showId, token: settings.token, prefix: "con"});

const STATUS_LABELS = {
  planned: t("Planned"), rehearsal: t("Rehearsal"), live: t("On air"),
  paused: t("Paused"), ended: t("Ended"), cancelled: t("Cancelled"),
};
const CONNECTION_LABELS = {
  connecting: t("Connecting"), live: t("Connected"),
  reconnecting: t("Reconnecting…"), failed: t("Connection failed"),
};
const KIND_LABELS = {opening: t("Opening"), product: t("Product segment"), giveaway: t("Giveaway"),
                     interaction: t("Interaction"), encore: t("Encore"), closing: t("Closing")};
const ROLE_LABELS = {traffic: t("Traffic driver"), welfare: t("Welfare item"), hero: t("Hero item"),
                     profit: t("Profit item"), image: t("Image item"), test: t("Test item")};
const FABE = {F: t("FABE: feature"), A: t("FABE: advantage"), B: t("FABE: benefit"), E: t("FABE: evidence")};

let sheet = null; // the plan's run sheet, or null when the show has none
let products = []; // [{sku, label, final_price, live_price, list_price, slots: [{id, index}]}]
let shown = []; // the products the grid shows now (after the search)

// ---- toasts and commands ---------------------------------------------------------------------------

/** A short message in the corner; rejects stay longer than confirmations. */
function toast(text, kind = "error", code = "") {
  const node = el("div", `toast ${kind}`, null, {role: kind === "error" ? "alert" : "status"});
  if (code) node.append(el("b", "code", code));
  node.append(el("span", "text", text));
  node.addEventListener("click", () => node.remove());
  $("toasts").append(node);
  setTimeout(() => node.remove(), kind === "error" ? 8000 : 2500);
  while ($("toasts").children.length > 5) $("toasts").firstChild.remove();
}

/** Send a command; a rejection shows its reason. Returns the ack, or null when rejected. */
async function send(name, args = {}, {button = null, done = null} = {}) {
  if (button) button.disabled = true;
  try {
    const ack = await live.command(name, args);
    if (done) toast(done, "ok");
    return ack;
  } catch (error) {
    toast(`${name}: ${error.message}`, "error", error.code || "error");
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}

/** A modal yes/no question; resolves true on confirm. */
function confirmAction(title, text) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  dialog.returnValue = "";
  dialog.showModal();
  $("confirm-ok").focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), {once: true});
  });
}

// ---- header: status, connection, clock -------------------------------------------------------------

function renderStatus() {
  const status = live.view.status || "planned";
  const badge = $("status-badge");
  const label = STATUS_LABELS[status] || status;
  // a rehearsal copy (studio rehearse) goes live like a show, but nothing it sells is real
  const rehearsal = Boolean(live.view.show?.rehearsal_of) && status !== "rehearsal";
  badge.textContent = rehearsal ? `${STATUS_LABELS.rehearsal} · ${label}` : label;
  badge.dataset.rehearsal = String(rehearsal);
  badge.dataset.status = status;
  root.dataset.status = status;
  for (const button of document.querySelectorAll("[data-set-status]")) {
    button.setAttribute("aria-pressed", String(button.dataset.setStatus === status));
  }
}

async function setStatus(button) {
  const wanted = button.dataset.setStatus;
  if (wanted === "ended") {
    const sure = await confirmAction(t("End the show?"),
      t("An ended show takes no more commands; running coupons and flash sales end with it."));
    if (!sure) return;
  }
  await send("status.set", {status: wanted}, {button});
}

function renderConnection({status, detail}) {
  const node = $("connection");
  node.dataset.state = status;
  node.textContent = CONNECTION_LABELS[status] || status;
  node.title = detail || "";
  if (status === "failed") toast(detail, "error", "connection");
}

function tickClock() {
  $("clock").textContent = timeOfDay(new Date(live.now()).toISOString(), live.view.show?.timezone,
                                     true);
}

// ---- run sheet -------------------------------------------------------------------------------------

let planLoading = null;

/** The server follows plan edits made mid-show; a slot it names that our copy lacks means ours is old. */
function planIsStale() {
  if (!sheet || planLoading) return false;
  const ours = new Map(slotList().map((s) => [s.id, s]));
  const differs = (theirs) => theirs && (!ours.has(theirs.id) || ours.get(theirs.id).title !== theirs.title);
  const {slot, next} = live.view.runsheet || {};
  return Boolean(differs(slot) || differs(next));
}

function loadPlan() {
  planLoading ??= fetchPlan().finally(() => {
    planLoading = null;
  });
  return planLoading;
}

async function fetchPlan() {
  try {
    const response = await fetch(root.dataset.runsheetUrl, {headers: {Accept: "application/json"}});
    if (response.status === 404) {
      sheet = null;
      note(t("This show has no plan: take products by SKU."));
    } else if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(`${response.status}: ${body.error?.message || response.statusText}`);
    } else {
      sheet = await response.json();
      note(null);
    }
  } catch (error) {
    sheet = null;
    note(t("Could not load the plan ({reason}); take products by SKU.", {reason: error.message}));
  }
  buildProducts();
  renderRunsheet();
}

function note(text) {
  $("runsheet-note").hidden = !text;
  $("runsheet-note").textContent = text || "";
}

function slotList() {
  return sheet?.slots || [];
}

function renderRunsheet() {
  const state = live.view.runsheet || {};
  const actual = state.actual || {};
  const slots = slotList();
  const zone = live.view.show?.timezone || sheet?.timezone;
  // Matched by id, not position: the plan may have been edited since the server loaded it.
  const found = state.slot ? slots.findIndex((s) => s.id === state.slot.id) : -1;
  const current = found >= 0 ? found : null;
  fill($("slots"), slots.map((slot, i) => {
    const started = actual[slot.id]?.started_at;
    const item = el("li", "slot", null, {"data-slot": slot.id, "data-index": String(i)});
    if (i === current) {
      item.classList.add("current");
      item.setAttribute("aria-current", "step");
    } else if (started || (current !== null && i < current)) {
      item.classList.add("done");
    }
    const head = el("div", "slot-head");
    head.append(el("span", "n", String(i + 1)), el("span", "planned", timeOfDay(slot.start, zone)));
    // a product slot's role says more than its kind
    if (slot.role) head.append(el("span", `role role-${slot.role}`, ROLE_LABELS[slot.role] || slot.role));
    else head.append(el("span", `kind kind-${slot.kind}`, KIND_LABELS[slot.kind] || slot.kind));
    head.append(el("span", "minutes", `${slot.minutes}′`));
    item.append(head, el("div", "slot-title", slot.title));
    if (started) {
      const ended = i === current ? null : actual[slot.id]?.ended_at;
      const span = ended ? `${timeOfDay(started, zone)}–${timeOfDay(ended, zone)}` : timeOfDay(started, zone);
      item.append(el("div", "actual", t("actual {time}", {time: span})));
    }
    item.title = t("Click to go to this slot");
    item.addEventListener("click", () => send("runsheet.goto", {slot: slot.id}));
    return item;
  }));
  const slot = state.slot;
  $("slot-position").textContent = slots.length
    ? `${current === null ? "–" : current + 1} / ${slots.length}` : "";
  $("now-title").textContent = slot ? slot.title : t("Not started");
  const timer = $("now-timer");
  if (slot && state.started_at && slot.seconds) {
    const ends = new Date(Date.parse(state.started_at) + slot.seconds * 1000).toISOString();
    fill(timer, [el("span", "label", `${t("left")} `),
                 countdown(ends, "countdown", {overtime: true, warn: 60, testid: "slot-countdown"}),
                 state.next ? el("span", "next", t("next: {title}", {title: state.next.title})) : null]);
  } else {
    fill(timer, [state.next ? el("span", "next", t("next: {title}", {title: state.next.title})) : null]);
  }
  $("slots").querySelector(".current")?.scrollIntoView({block: "nearest"});
  markShortcuts();
}

// ---- products --------------------------------------------------------------------------------------

function buildProducts() {
  const bySku = new Map();
  for (const slot of slotList()) {
    for (const price of slot.prices || []) {
      if (!bySku.has(price.sku)) {
        bySku.set(price.sku, {sku: price.sku, label: price.label, final_price: price.final_price,
                              live_price: price.live_price, list_price: price.list_price,
                              slots: []});
      }
      bySku.get(price.sku).slots.push({id: slot.id, index: slot.index ?? 0});
    }
  }
  // The card on air may not be in the plan (taken by SKU): the grid shows it too.
  const card = live.view.card;
  if (card && !bySku.has(card.sku)) {
    bySku.set(card.sku, {sku: card.sku, label: card.title, final_price: card.ladder?.final_price,
                         live_price: card.ladder?.live_price, list_price: card.ladder?.list_price,
                         slots: []});
  }
  products = [...bySku.values()];
  fill($("sku-list"), products.map((p) => el("option", null, p.label, {value: p.sku})));
  $("take-sku").hidden = slotList().length > 0;
  renderProducts();
}

function renderProducts() {
  const query = $("product-search").value.trim().toLowerCase();
  shown = products.filter((p) => !query || p.sku.toLowerCase().includes(query)
    || (p.label || "").toLowerCase().includes(query));
  $("product-count").textContent = query ? `${shown.length} / ${products.length}` : String(products.length);
  if (!products.length) {
    fill($("products"), [el("p", "empty", t("No products in the plan"))]);
    return;
  }
  fill($("products"), shown.map((product) => {
    const tile = el("article", "product", null, {"data-sku": product.sku,
                                                  "data-testid": `product-${product.sku}`});
    const price = el("div", "price");
    price.append(el("span", "final", money(product.final_price)));
    if (product.list_price && product.list_price !== product.final_price) {
      price.append(el("s", "list", money(product.list_price)));
    }
    const where = product.slots.map((s) => `#${s.index + 1}`).join(" ");
    const meta = el("div", "meta");
    meta.append(el("code", null, product.sku), where ? el("span", "where", where) : "");
    const take = el("button", "take primary", t("Take"), {type: "button", title: t("Put it on the product card")});
    take.addEventListener("click", () => send("card.take", {sku: product.sku}, {button: take}));
    const list = el("button", "list", "", {type: "button"});
    list.addEventListener("click", () => {
      const listed = (live.view.listed || []).includes(product.sku);
      send(listed ? "products.delist" : "products.list", {skus: [product.sku]}, {button: list});
    });
    const pin = el("button", "pin", "", {type: "button"});
    pin.addEventListener("click", () => {
      const pinned = live.view.pinned === product.sku;
      send("product.pin", {sku: pinned ? null : product.sku}, {button: pin});
    });
    const actions = el("div", "actions");
    actions.append(take, list, pin);
    tile.append(el("span", "key", ""), el("div", "name", product.label), meta, price,
                el("div", "flags"), actions);
    return tile;
  }));
  updateProducts();
}

/** Flags and button labels of the tiles, from the live state (no rebuild). */
function updateProducts() {
  const listed = new Set(live.view.listed || []);
  const pinned = live.view.pinned;
  const onCard = live.view.card?.sku;
  const intents = live.view.intents || {};
  for (const tile of $("products").querySelectorAll(".product")) {
    const sku = tile.dataset.sku;
    tile.classList.toggle("on-card", sku === onCard);
    tile.classList.toggle("listed", listed.has(sku));
    tile.classList.toggle("pinned", sku === pinned);
    const flags = [];
    if (sku === onCard) flags.push(el("span", "flag on-card", t("On card")));
    if (listed.has(sku)) flags.push(el("span", "flag listed", t("Listed")));
    if (sku === pinned) flags.push(el("span", "flag pinned", t("Pinned")));
    if (intents[sku]) flags.push(el("span", "flag intent", t("intent +{n}", {n: intents[sku]})));
    fill(tile.querySelector(".flags"), flags);
    const list = tile.querySelector("button.list");
    list.textContent = listed.has(sku) ? t("Delist") : t("List");
    list.title = listed.has(sku) ? t("Delist from the shop bag") : t("List in the shop bag");
    const pin = tile.querySelector("button.pin");
    pin.textContent = sku === pinned ? t("Unpin") : t("Pin");
    pin.title = sku === pinned ? t("Unpin")
      : listed.has(sku) ? t("Pin in the shop bag") : t("Pin (list it first)");
  }
  markShortcuts();
}

/** The SKUs keys 1–9 take: the current slot's, or the grid's when the slot has none. */
function shortcutSkus() {
  const slotSkus = live.view.runsheet?.slot?.skus || [];
  return (slotSkus.length ? slotSkus : shown.map((p) => p.sku)).slice(0, 9);
}

function markShortcuts() {
  const keys = new Map(shortcutSkus().map((sku, i) => [sku, String(i + 1)]));
  for (const tile of $("products").querySelectorAll(".product")) {
    const key = keys.get(tile.dataset.sku) || "";
    const badge = tile.querySelector(".key");
    badge.textContent = key;
    badge.hidden = !key;
  }
}

// ---- the product card on air -------------------------------------------------------------------------

function renderCard() {
  const card = live.view.card;
  const box = $("card-preview");
  box.classList.toggle("empty", !card);
  if (!card) {
    fill(box, [el("div", "card-empty", t("No product card on air")),
               el("div", "hint", t("Take a product, or press 1–9"))]);
    return;
  }
  const ladder = card.ladder || {};
  const rungs = el("div", "ladder", null, {"data-testid": "card-ladder"});
  const rung = (label, value, className) => {
    if (!value) return;
    const node = el("div", `rung ${className}`);
    node.append(el("span", "label", label), el(className === "list" ? "s" : "b", "value", money(value)));
    rungs.append(node);
  };
  rung(t("List price"), ladder.list_price, "list");
  rung(t("Daily price"), ladder.daily_price, "daily");
  rung(t("Live price"), ladder.live_price, "live");
  rung(t("Price after coupon"), ladder.final_price, "final");

  const head = el("div", "card-head");
  head.append(el("span", "on-air", t("ON CARD")), el("code", null, card.sku));
  const options = (card.options || []).map((o) => o.join(" ")).join(" · ");
  const facts = el("div", "card-facts");
  const intents = live.view.intents?.[card.sku];
  facts.append(
    el("span", "stock", t("Stock {n}", {n: card.stock_left == null ? "—" : count(card.stock_left)})),
    intents ? el("span", "intent", t("Intent +{n}", {n: intents})) : "",
    el("span", "since", `${t("On card for")} `), countdown(card.taken_at, "elapsed", {overtime: true}));
  const points = el("ol", "points");
  for (const point of (card.selling_points || []).slice(0, 4)) {
    const item = el("li");
    if (point.fabe) item.append(el("span", `fabe fabe-${point.fabe}`, point.fabe, {title: FABE[point.fabe]}));
    item.append(point.text);
    points.append(item);
  }
  const clear = el("button", "clear", t("Clear the card (C)"), {type: "button", "aria-keyshortcuts": "C"});
  clear.addEventListener("click", () => send("card.clear", {}, {button: clear}));
  const body = el("div", "card-body");
  body.append(head, el("div", "card-title", card.title, {"data-testid": "card-title"}),
              options ? el("div", "options", options) : "", facts, points);
  fill(box, [body, rungs, clear]);
}

// ---- stats -----------------------------------------------------------------------------------------

function renderStats() {
  const stats = live.view.stats || {};
  for (const node of document.querySelectorAll("[data-stat]")) {
    const key = node.dataset.stat;
    node.querySelector("b").textContent = key === "gmv" ? money(stats.gmv || "0.00") : count(stats[key]);
  }
}

// ---- keyboard --------------------------------------------------------------------------------------

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  const target = event.target;
  if (target instanceof Element && target.closest("input, textarea, select, [contenteditable]")) {
    if (event.key === "Escape") target.blur();
    return;
  }
  if (document.querySelector("dialog[open]")) return; // a dialog has the keys (Esc closes it)
  const key = event.key;
  let handled = true;
  if (key === "n" || key === "N" || key === "ArrowRight") send("runsheet.next");
  else if (key === "p" || key === "P" || key === "ArrowLeft") send("runsheet.previous");
  else if (key === "c" || key === "C") send("card.clear");
  else if (key === "/") $("product-search").focus();
  else if (key === "?") $("help").showModal();
  else if (/^[1-9]$/.test(key)) {
    const sku = shortcutSkus()[Number(key) - 1];
    if (sku) send("card.take", {sku});
    else toast(t("No product number {n} here", {n: key}), "error", "key");
  } else handled = false;
  if (handled) event.preventDefault();
}

// ---- wiring ----------------------------------------------------------------------------------------

function onState({keys}) {
  if (keys.has("show")) {
    $("show-title").textContent = live.view.show?.title || settings.showId;
    document.title = `${live.view.show?.title || settings.showId} · ${t("Control room")}`;
  }
  if (keys.has("status")) renderStatus();
  if (keys.has("runsheet") || keys.has("show")) {
    renderRunsheet();
    if (planIsStale()) loadPlan();
  }
  if (keys.has("card")) {
    if (live.view.card && !products.some((p) => p.sku === live.view.card.sku)) buildProducts();
  }
  if (keys.has("card") || keys.has("intents")) renderCard();
  if (keys.has("card") || keys.has("listed") || keys.has("pinned") || keys.has("intents")) {
    updateProducts();
  }
  if (keys.has("stats")) renderStats();
}

function main() {
  for (const button of document.querySelectorAll("[data-set-status]")) {
    button.addEventListener("click", () => setStatus(button));
  }
  $("next").addEventListener("click", (e) => send("runsheet.next", {}, {button: e.currentTarget}));
  $("previous").addEventListener("click",
                                 (e) => send("runsheet.previous", {}, {button: e.currentTarget}));
  $("product-search").addEventListener("input", renderProducts);
  $("product-search").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && shown.length === 1) send("card.take", {sku: shown[0].sku});
  });
  $("take-sku").addEventListener("submit", (event) => {
    event.preventDefault();
    const sku = event.currentTarget.elements.sku.value.trim();
    if (sku) send("card.take", {sku});
  });
  $("help-open").addEventListener("click", () => $("help").showModal());
  $("reload-plan").addEventListener("click", () => loadPlan());
  document.addEventListener("keydown", onKey);

  setClock(() => live.now());
  live.on("connection", renderConnection);
  live.on("state", onState);
  setupPromotions({live, send, products: () => products});
  setupFeed({live, send, toast, confirmAction});
  renderCard();
  renderStatus();
  loadPlan();
  live.start();
  startCountdowns();
  setInterval(tickClock, 1000);
  tickClock();
  window.studioLive = live; // for the browser console and the end-to-end tests
}

main();
