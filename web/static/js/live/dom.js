// Small helpers shared by the operator console and the overlays: elements, money, clocks and
// the countdown ticker. Text from the public and from the catalogue only ever goes through
// textContent (el() below), never through innerHTML. Numbers, money and times are formatted for
// the page's language (i18n.js).

import {locale, money as formatMoney} from "../i18n.js";

/** A new element with a class and text. Extra attributes go through setAttribute. */
export function el(tag, className, text, attributes = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attributes)) {
    if (value != null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  return node;
}

/** "159.00" -> "¥159", "39.90" -> "¥39.90" (zh). Money stays a decimal string, never a float. */
export function money(value, currency = "CNY") {
  return formatMoney(value, currency, {trim: true});
}

/** 65 -> "1:05", 3725 -> "1:02:05". */
export function clock(totalSeconds) {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

const counts = new Intl.NumberFormat(locale);
const shortCounts = new Intl.NumberFormat(locale, {notation: "compact", maximumFractionDigits: 1});

/** 12345 -> "12,345"; 123456 -> "12.3万" (zh) or "123.5K" (en) when `short`. */
export function count(value, short = false) {
  const number = Number(value) || 0;
  return (short && number >= 100_000 ? shortCounts : counts).format(number);
}

/** "20:03" in the show's time zone (or the browser's), on the 24-hour clock studios run by. */
export function timeOfDay(iso, timeZone, seconds = false) {
  if (!iso) return "";
  const options = {hour: "2-digit", minute: "2-digit", hourCycle: "h23"};
  if (seconds) options.second = "2-digit";
  try {
    return new Intl.DateTimeFormat(locale, {...options, timeZone: timeZone || undefined})
      .format(new Date(iso));
  } catch {
    return new Intl.DateTimeFormat(locale, options).format(new Date(iso)); // unknown zone
  }
}

let serverNow = () => Date.now();

/** The clock countdowns read: the server's (LiveClient.now), so every screen shows the same second. */
export function setClock(now) {
  serverNow = now;
}

/**
 * Show the time left until `node.dataset.until` (an ISO moment) by the server's clock. With
 * `data-overtime` it counts up past zero as "+m:ss"; `data-state` becomes "warn" in the last
 * `data-warn` seconds (default 10), "done" at zero (or "over" when counting up).
 */
function showTimeLeft(node, moment) {
  const until = Date.parse(node.dataset.until);
  if (Number.isNaN(until)) return;
  const left = (until - moment) / 1000;
  const overtime = "overtime" in node.dataset;
  let text;
  let state;
  if (left > 0) {
    text = clock(Math.ceil(left));
    state = left <= Number(node.dataset.warn || 10) ? "warn" : "ok";
  } else {
    text = overtime ? `+${clock(-left)}` : clock(0);
    state = overtime ? "over" : "done";
  }
  if (node.textContent !== text) node.textContent = text;
  if (node.dataset.state !== state) node.dataset.state = state;
}

/** Keep every `[data-until]` element under `root` up to date, several times a second. */
export function startCountdowns(root = document, every = 200) {
  const update = () => {
    const moment = serverNow();
    for (const node of root.querySelectorAll("[data-until]")) showTimeLeft(node, moment);
  };
  update();
  return setInterval(update, every);
}

/** A countdown element (see startCountdowns). */
export function countdown(until, className = "countdown", options = {}) {
  const node = el("span", className, "", {"data-until": until, "data-testid": options.testid});
  if (options.overtime) node.dataset.overtime = "";
  if (options.warn) node.dataset.warn = String(options.warn);
  showTimeLeft(node, serverNow()); // right away, not at the next tick
  return node;
}

/** Replace the children of `parent` with `children`, skipping null entries. */
export function fill(parent, children) {
  parent.replaceChildren(...children.filter((child) => child != null));
  return parent;
}

/** Only images with an http(s) address, so catalogue text cannot load anything else. */
export function safeImage(src) {
  if (!src) return null;
  try {
    const url = new URL(src, location.href);
    return /^https?:$/.test(url.protocol) && /^https?:\/\//i.test(src) ? url.href : null;
  } catch {
    return null;
  }
}
