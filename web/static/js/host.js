// 主播屏 Host screen: the current slot in large type, its countdown, and how the show runs
// against the plan.
//
// Data: the run sheet (GET /api/v1/plans/{id}/runsheet), fetched once on load and again on "p".
// Everything from it is written with textContent: titles, notes and scripts come from planners.
//
// Time comes from a *clock source*, which says which slot is live and since when:
//
//   source.state      -> {showStartedAt, current, index, enteredAt, spent: {slotId: ms},
//                         startedAt: {slotId: ms}}   (ms since the epoch)
//   source.begin(id)     start the show on slot `id` unless it is already running
//   source.goTo(id, i)   the host asks to move to slot `id` (position i in the sheet)
//   source.reset()       forget the run
//   source.subscribe(fn) fn(state) after every change, whoever made it
//   source.offset        (optional) ms to add to Date.now() to get the source's clock
//   source.now()         (optional) the source's clock itself (a rehearsal's runs faster)
//
// LocalClock below runs the show on this screen alone and keeps the state in localStorage, so
// a reload resumes the same slot and timers.
//
// With ?token=HOST_TOKEN in the URL, LiveSource (host-live.js) replaces it: the same contract
// fed by the show's live-console WebSocket, in server time. Its state adds what the control
// room says: `current` is null until the show starts (the screen waits), plus `status`, `card`
// (the product card on air, which overrides the slot's ladder and title when it is another SKU)
// and `questions` (viewers' questions, shown to the host as text). It moves only by step(±1),
// which sends runsheet.next / runsheet.previous: the screen changes when the event arrives.

import {LiveSource} from "./host-live.js";
import {locale, money as formatMoney, number, t, tn} from "./i18n.js";

const host = document.getElementById("host");
const $ = (id) => document.getElementById(id);

class LocalClock {
  constructor(planId, storage = window.localStorage) {
    this.key = `studio.host.${planId}`;
    this.storage = storage;
    this.listeners = [];
    this.state = this.load();
  }

  load() {
    try {
      return JSON.parse(this.storage.getItem(this.key)) || null;
    } catch {
      return null; // storage disabled or unreadable: run without persistence
    }
  }

  save() {
    try {
      if (this.state) this.storage.setItem(this.key, JSON.stringify(this.state));
      else this.storage.removeItem(this.key);
    } catch {
      // private mode or quota: the timer still runs, it just won't survive a reload
    }
    this.listeners.forEach((fn) => fn(this.state));
  }

  begin(slotId) {
    if (this.state) return;
    const now = Date.now();
    this.state = {showStartedAt: now, current: slotId, index: 0, enteredAt: now,
                  spent: {}, startedAt: {[slotId]: now}};
    this.save();
  }

  goTo(slotId, index) {
    const s = this.state;
    if (!s || slotId === s.current) return;
    const now = Date.now();
    // Bank the time of the slot we leave: coming back to it resumes its countdown
    // (a mis-pressed clicker costs nothing) instead of restarting it.
    s.spent[s.current] = (s.spent[s.current] || 0) + (now - s.enteredAt);
    s.current = slotId;
    s.index = index;
    s.enteredAt = now;
    s.startedAt[slotId] ??= now; // when the slot first actually went live
    this.save();
  }

  reset() {
    this.state = null;
    this.save();
  }

  subscribe(fn) {
    this.listeners.push(fn);
  }
}

// ---- timing: pure arithmetic on the run sheet and the clock state --------------------------

/** Where the show stands at `now` (all durations in ms). */
function timing(slots, state, now) {
  let index = slots.findIndex((slot) => slot.id === state.current);
  if (index < 0) index = Math.min(state.index || 0, slots.length - 1); // plan changed under us
  const slot = slots[index];
  const plannedMs = (s) => s.seconds * 1000;
  const sum = (list) => list.reduce((total, s) => total + plannedMs(s), 0);
  // (never below zero: a clock a moment behind the one that stamped enteredAt must not show 5:01)
  const inSlot = (state.spent[slot.id] || 0) +
    (slot.id === state.current ? Math.max(0, now - state.enteredAt) : 0);
  const remaining = plannedMs(slot) - inSlot; // below zero: over time
  const before = sum(slots.slice(0, index));
  const after = sum(slots.slice(index + 1));
  // The plan's position for what has been done: every earlier slot in full plus the time in
  // this one, at most its planned length. Over/under is the real time since the show started
  // on this screen minus that position: above zero the show runs behind the plan.
  const position = before + Math.min(inSlot, plannedMs(slot));
  const total = before + plannedMs(slot) + after;
  return {
    index, slot, next: slots[index + 1] || null, remaining,
    behind: now - state.showStartedAt - position,
    projectedEnd: now + Math.max(remaining, 0) + after,
    progress: total ? position / total : 1,
  };
}

/** 1:05 or 1:02:05 from whole seconds. */
function clock(totalSeconds) {
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = String(totalSeconds % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** "199.00" -> "¥199", "39.90" -> "¥39.90" in the page's language: a decimal string, never a float. */
function money(value, currency) {
  if (value == null) return "";
  return formatMoney(value, currency, {trim: true});
}

// ---- rendering ------------------------------------------------------------------------------

/** A new element with a class and text (textContent, so planner text is never markup). */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

const FABE = {F: t("FABE: feature"), A: t("FABE: advantage"), B: t("FABE: benefit"), E: t("FABE: evidence")};

class HostScreen {
  constructor(source) {
    this.source = source;
    this.sheet = null;
    this.renderedSlot = null; // the slot whose content is on screen; re-drawn only on change
    this.renderedCard = ""; // and the live card drawn with it ("sku|taken_at")
    this.renderedWait = null; // what the waiting screen says, when it is up
    this.renderedLive = null; // the live indicator
    this.renderedQuestions = null; // the ids of the questions on screen
    this.seenQuestions = null; // every question id shown so far (new ones flash)
    this.mode = null; // "run": a slot is on air; "wait": before the show (live only)
  }

  /** Now on the source's clock: the server's (or a rehearsal's show clock), for a live source. */
  now() {
    if (typeof this.source.now === "function") return this.source.now();
    return Date.now() + (this.source.offset || 0);
  }

  load(sheet) {
    this.sheet = sheet;
    this.renderedSlot = null;
    this.renderedWait = null;
    this.mode = null;
    document.title = `${sheet.title} · ${t("Host screen")}`;
    $("show-title").textContent = sheet.title;
    const zone = {timeZone: sheet.timezone, hour: "2-digit", minute: "2-digit", hourCycle: "h23"};
    this.hm = new Intl.DateTimeFormat(locale, zone);
    this.hms = new Intl.DateTimeFormat(locale, {...zone, second: "2-digit"});
    if (sheet.slots.length) this.source.begin(sheet.slots[0].id);
    this.tick();
  }

  /** Move by `step` slots (+1 next, -1 previous); stays put at either end. */
  move(step) {
    if (this.source.step) { // live: ask the control room; the move arrives as an event
      if (this.sheet) this.source.step(step);
      return;
    }
    const slots = this.sheet?.slots;
    if (!slots?.length || !this.source.state) return;
    const {index} = timing(slots, this.source.state, this.now());
    const target = Math.min(Math.max(index + step, 0), slots.length - 1);
    this.source.goTo(slots[target].id, target);
  }

  tick() {
    const slots = this.sheet?.slots;
    const state = this.source.state;
    if (!slots?.length) return;
    if (!state || state.current == null) {
      if (this.source.live) this.showWaiting(state); // connecting, or the show has not started
      return;
    }
    this.setMode("run");
    const now = this.now();
    const at = timing(slots, state, now);
    const card = state.card || null;
    if (at.slot !== this.renderedSlot || cardKey(card) !== this.renderedCard) {
      this.showSlot(at.slot, at.next, at.index, card);
    }
    $("clock").textContent = this.hms.format(now);
    const stock = card?.stock_left != null ? t("stock {n}", {n: number(card.stock_left)}) : "";
    if ($("card-stock").textContent !== stock) $("card-stock").textContent = stock;

    const countdown = $("countdown");
    if (at.remaining > 0) {
      countdown.textContent = clock(Math.ceil(at.remaining / 1000));
      countdown.dataset.state = at.remaining <= 60_000 ? "warn" : "ok";
    } else {
      countdown.replaceChildren(`+${clock(Math.floor(-at.remaining / 1000))} `,
                                el("small", null, t("over")));
      countdown.dataset.state = "over";
    }
    const drift = Math.round(at.behind / 1000);
    const overUnder = $("over-under");
    overUnder.dataset.state = drift > 0 ? "behind" : drift < 0 ? "ahead" : "on";
    overUnder.textContent = drift > 0 ? t("behind plan by {time}", {time: clock(drift)})
      : drift < 0 ? t("ahead of plan by {time}", {time: clock(-drift)}) : t("on plan");
    $("projected-end").textContent = t("projected end {time}", {time: this.hm.format(at.projectedEnd)});
    const percent = Math.round(at.progress * 1000) / 10;
    $("progress").style.width = `${percent}%`;
    $("progress").parentElement.setAttribute("aria-valuenow", String(percent));
  }

  /** Show one part of the page and hide the other: the slot and its timer, or the wait. */
  setMode(mode) {
    if (mode === this.mode) return;
    this.mode = mode;
    $("now").hidden = mode !== "run";
    $("timer").hidden = mode !== "run";
    $("waiting").hidden = mode !== "wait";
    if (mode === "wait") $("checks").hidden = true; // a slot's checks; showSlot brings them back
    this.renderedSlot = null;
    this.renderedWait = null;
  }

  /** Before the control room starts the show (or after it ends): what comes first. */
  showWaiting(state) {
    this.setMode("wait");
    const slots = this.sheet.slots;
    const now = this.now();
    $("clock").textContent = this.hms.format(now);
    const over = state && ["ended", "cancelled"].includes(state.status);
    const next = over ? null : slots.find((slot) => slot.id === state?.next?.id) || slots[0];
    const {failure, lastClose} = this.source;
    const key = [state ? "ready" : failure || lastClose || "connecting", state?.status, next?.id].join("|");
    if (key === this.renderedWait) return;
    this.renderedWait = key;
    const [title, detail] = !state
      ? failure ? [t("Cannot join the control room"), failure]
        : [t("Connecting to the control room…"),
           lastClose ? t("retrying (last: {reason})", {reason: lastClose}) : t("the control room runs the clock")]
      : over ? [t("The show has ended"), t("Thanks, everyone")]
        : [t("Waiting for the control room"),
           `${t("planned start {time}", {time: this.hm.format(new Date(this.sheet.start))})} · ` +
           tn("{n} slot", "{n} slots", slots.length)];
    $("waiting-title").textContent = title;
    $("waiting-detail").textContent = detail;
    $("waiting").dataset.state = !state ? (failure ? "failed" : "connecting") : over ? "ended" : "waiting";
    document.querySelector("[data-testid=slot-position]").textContent = `– / ${slots.length}`;
    $("progress").style.width = over ? "100%" : "0%";
    $("progress").parentElement.setAttribute("aria-valuenow", over ? "100" : "0");
    this.showNext(next);
  }

  /** The live indicator and the viewers' questions: live sources only. */
  showLive() {
    const source = this.source;
    const state = source.state;
    const live = $("live");
    const key = `${source.connection}|${state?.status}|${source.busy}`;
    if (key !== this.renderedLive) {
      this.renderedLive = key;
      live.hidden = false;
      live.dataset.state = source.connection;
      live.dataset.status = state?.status || "";
      live.textContent = source.connection === "live" ? `● ${STATUS[state?.status] || t("connected")}`
        : source.connection === "reconnecting" ? `◌ ${t("reconnecting…")}`
        : source.connection === "failed" ? `✕ ${t("not connected")}` : `◌ ${t("connecting…")}`;
      live.title = source.connection === "live" ? t("following the control room")
        : t("the timer runs on; moves wait for the connection");
      host.dataset.pending = source.busy ? "1" : "";
    }
    this.showQuestions(state?.questions || []);
  }

  /** The newest questions first, at most five; public text, so textContent only. */
  showQuestions(questions) {
    const box = $("questions");
    box.hidden = !this.source.state; // not before we have heard from the control room
    if (box.hidden) return;
    const shown = questions.slice(-MAX_QUESTIONS).reverse();
    const key = shown.map((q) => q.id).join("\n");
    if (key === this.renderedQuestions) return;
    this.renderedQuestions = key;
    const primed = this.seenQuestions != null; // the first list (the snapshot) does not flash
    this.seenQuestions ??= new Set();
    const items = shown.map((question) => {
      const fresh = primed && !this.seenQuestions.has(question.id);
      this.seenQuestions.add(question.id);
      const item = el("li", fresh ? "fresh" : null);
      item.dataset.testid = "question";
      const done = el("button", "answered", "✓");
      done.type = "button";
      done.title = t("Mark answered");
      done.setAttribute("aria-label", t("Mark answered"));
      done.addEventListener("click", (event) => {
        event.currentTarget.blur();
        this.source.command("question.answered", {id: question.id});
      });
      item.append(el("span", "nick", question.nickname || t("viewer")),
                  el("span", "text", question.text || ""), done);
      return item;
    });
    $("question-list").replaceChildren(...items);
    $("no-questions").hidden = items.length > 0;
  }

  showSlot(slot, next, index, card = null) {
    this.renderedSlot = slot;
    this.renderedCard = cardKey(card);
    // The card on air is the product the host sells right now. The operator may take another
    // SKU than the plan's: then its title, ladder and selling points replace the slot's.
    const planned = card ? slot.prices.find((price) => price.sku === card.sku) : null;
    const offPlan = card && !planned;
    const currency = this.sheet.currency;
    document.querySelector("[data-testid=slot-position]").textContent =
      `${index + 1} / ${this.sheet.slots.length}`;
    $("kind").textContent = KIND_LABELS[slot.kind] || slot.kind_label;
    const role = $("role");
    role.hidden = !slot.role;
    role.textContent = slot.role ? ROLE_LABELS[slot.role] || slot.role_label : "";
    role.dataset.role = slot.role || "";
    $("planned").textContent = t("plan {start}–{end} · {minutes} min", {
      start: this.hm.format(new Date(slot.start)), end: this.hm.format(new Date(slot.end)),
      minutes: slot.minutes});
    $("current-title").textContent = offPlan ? card.title : slot.title;
    const slotOf = $("slot-of");
    slotOf.hidden = !offPlan;
    slotOf.textContent = offPlan ? t("planned slot: {title}", {title: slot.title}) : "";
    const onCard = $("on-card");
    onCard.hidden = !card;
    $("on-card-sku").textContent = card ? card.sku : "";

    const prices = !card ? slot.prices : planned ? [planned] : [cardPrice(card)];
    $("ladders").replaceChildren(...prices.map((p) => ladder(p, currency, slot.prices.length > 1 && !offPlan)));

    const prize = $("prize");
    prize.hidden = !slot.prize;
    if (slot.prize) {
      prize.replaceChildren(el("span", "tag", t("Prize")),
        el("strong", null, slot.prize + (slot.winners ? ` × ${tn("{n} winner", "{n} winners", slot.winners)}` : "")));
      if (slot.entry_rule) prize.append(el("span", "entry", t("Entry: {rule}", {rule: slot.entry_rule})));
    }

    const points = offPlan ? card.selling_points || [] : slot.selling_points;
    $("points").replaceChildren(...points.map((point) => {
      const item = el("li");
      if (point.fabe) {
        const tag = el("span", `fabe fabe-${point.fabe}`, point.fabe);
        tag.title = FABE[point.fabe];
        item.append(tag);
      }
      item.append(el("span", null, point.text));
      return item;
    }));
    $("talk").replaceChildren(...slot.talk_track.map((line) => el("p", null, line)));

    const notes = $("notes");
    notes.hidden = !slot.notes;
    notes.replaceChildren(el("span", "tag", t("Notes")), el("span", null, slot.notes || ""));

    // Only errors: a host must not say a price claim or a word the checks have refused.
    const errors = slot.findings.filter((f) => f.severity === "error");
    $("findings").replaceChildren(...errors.map((f) => {
      const item = el("li", null, f.message);
      item.dataset.label = t("Check:"); // the ⚠ label before it (host.css)
      return item;
    }));
    $("checks").hidden = !errors.length;
    this.showNext(next);
  }

  showNext(next) {
    const currency = this.sheet.currency;
    $("next-start").textContent = next ? this.hm.format(new Date(next.start)) : "";
    $("next-title").textContent = next ? next.title : `— ${t("End of show")}`;
    const final = next?.prices[0]?.final_price;
    $("next-price").textContent = final ? t("after coupon {price}", {price: money(final, currency)}) : "";
  }
}

const KIND_LABELS = {opening: t("Opening"), product: t("Product segment"), giveaway: t("Giveaway"),
                     interaction: t("Interaction"), encore: t("Encore"), closing: t("Closing")};
const ROLE_LABELS = {traffic: t("Traffic driver"), welfare: t("Welfare item"), hero: t("Hero item"),
                     profit: t("Profit item"), image: t("Image item"), test: t("Test item")};
const STATUS = {planned: t("not started"), rehearsal: t("rehearsal"), live: t("ON AIR"),
                paused: t("paused"), ended: t("ended"), cancelled: t("cancelled")};
const MAX_QUESTIONS = 5;

/** Which card is drawn: a new take of the same SKU draws it again. */
function cardKey(card) {
  return card ? `${card.sku}|${card.taken_at}` : "";
}

/** A live card's ladder in the run sheet's price shape (it has no offer steps of its own). */
function cardPrice(card) {
  const ladder = card.ladder || {};
  return {sku: card.sku, label: card.title, list_price: ladder.list_price ?? null,
          daily_price: ladder.daily_price ?? null, live_price: ladder.live_price ?? null,
          final_price: ladder.final_price ?? null, steps: []};
}

/** 原价 (struck) → 日常价 → 直播价 → 券后价, the last one biggest, then the offers that make it. */
function ladder(price, currency, labelled) {
  const box = el("div", "ladder");
  if (labelled) box.append(el("div", "sku", price.label));
  const row = el("div", "steps");
  const rungs = [["list", t("List price"), price.list_price], ["daily", t("Daily price"), price.daily_price],
                 ["live", t("Live price"), price.live_price], ["final", t("Price after coupon"), price.final_price]];
  for (const [name, label, value] of rungs.filter(([, , value]) => value != null)) {
    // The arrow travels with the price after it, so a wrapped line never ends on "→".
    const hop = el("span", "hop");
    if (row.childElementCount) hop.append(el("span", "arrow", "→"));
    const rung = el("span", `rung ${name}`);
    rung.append(el("small", null, label),
                el(name === "list" ? "s" : "b", null, money(value, currency)));
    hop.append(rung);
    row.append(hop);
  }
  box.append(row);
  if (price.steps.length) {
    box.append(el("div", "offers",
      price.steps.map((step) => `${step.label} −${money(step.off, currency)}`).join(" · ")));
  }
  return box;
}

// ---- wiring ---------------------------------------------------------------------------------

function showError(message, retry) {
  $("status").hidden = true;
  const box = $("error");
  box.hidden = false;
  const again = el("button", null, t("Try again")); // a phone has no P key
  again.type = "button";
  again.addEventListener("click", retry);
  box.replaceChildren(el("strong", null, t("Could not load the plan")),
                      el("span", null, message),
                      el("span", "hint", t("press P to try again")), again);
}

async function fetchSheet(screen) {
  const url = host.dataset.runsheetUrl;
  let body;
  try {
    const response = await fetch(url, {headers: {accept: "application/json"}, cache: "no-store"});
    body = await response.json().catch(() => null);
    if (!response.ok) {
      throw new Error(body?.error?.message ? `${response.status}: ${body.error.message}`
                                           : t("HTTP {status} from {url}", {status: response.status, url}));
    }
    if (!Array.isArray(body?.slots)) throw new Error(t("{url} did not answer with a run sheet", {url}));
  } catch (error) {
    // Keep what is on screen when a reload fails mid-show; say so either way.
    const network = error instanceof TypeError; // what fetch throws when no answer came at all
    showError(network ? t("no answer from the server ({reason})", {reason: error.message}) : error.message,
              () => fetchSheet(screen));
    return;
  }
  $("status").hidden = true;
  $("error").hidden = true;
  if (!body.slots.length) {
    showError(t("the plan has no slots"), () => fetchSheet(screen));
    return;
  }
  for (const id of ["now", "timer", "next", "controls"]) $(id).hidden = false;
  screen.load(body);
}

let toastTimer;
function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 2500);
}

function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen();
  else document.documentElement.requestFullscreen?.().catch(() => toast(t("full screen refused")));
}

// A screen that dims mid-show is worse than a flat battery; ask to stay awake where supported.
async function keepAwake() {
  try {
    if (document.visibilityState === "visible") await navigator.wakeLock?.request("screen");
  } catch {
    // not allowed (battery saver, no user gesture yet): the screen may dim, nothing else breaks
  }
}

function main() {
  const params = new URLSearchParams(location.search);
  const token = params.get("token");
  // With the host token the control room runs the show; without it, this screen's own clock.
  const source = token ? new LiveSource(host.dataset.plan, token) : new LocalClock(host.dataset.plan);
  const screen = new HostScreen(source);
  if (source.live) {
    host.classList.add("live");
    source.onNotice(toast);
    source.subscribe(() => {
      screen.showLive();
      screen.tick();
    });
    screen.showLive();
    source.start();
  } else {
    source.subscribe(() => {
      screen.renderedSlot = null; // a move or a reset: draw the slot again
      if (source.state) screen.tick();
    });
  }

  host.classList.toggle("mirrored", params.get("mirror") === "1");

  let resetArmed = 0; // "r" twice within 3 s resets, so a stray key mid-show loses nothing
  const keys = {
    ArrowRight: () => screen.move(1), PageDown: () => screen.move(1),
    " ": () => screen.move(1), Enter: () => screen.move(1),
    ArrowLeft: () => screen.move(-1), PageUp: () => screen.move(-1),
    Backspace: () => screen.move(-1),
    m: () => host.classList.toggle("mirrored"),
    f: toggleFullscreen,
    p: () => { toast(t("reloading the plan")); fetchSheet(screen); },
    r: () => {
      if (source.live) {
        source.reset(); // the control room keeps the time: say so, change nothing
      } else if (Date.now() - resetArmed < 3000) {
        resetArmed = 0;
        source.reset();
        if (screen.sheet) screen.load(screen.sheet);
        toast(t("timer reset"));
      } else {
        resetArmed = Date.now();
        toast(t("press R again to reset the timer"));
      }
    },
  };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return; // leave browser shortcuts alone
    if ((event.key === "Enter" || event.key === " ") && event.target.closest?.("button")) return;
    const action = keys[event.key.length === 1 ? event.key.toLowerCase() : event.key];
    if (!action) return;
    event.preventDefault(); // Space and PageDown would scroll, Backspace might navigate
    action();
  });
  for (const [id, step] of [["previous", -1], ["advance", 1]]) {
    $(id).addEventListener("click", (event) => {
      event.currentTarget.blur(); // or a later Space/Enter press would click it again
      screen.move(step);
    });
  }

  setInterval(() => screen.tick(), 250);
  document.addEventListener("visibilitychange", keepAwake);
  keepAwake();
  fetchSheet(screen);
}

main();
