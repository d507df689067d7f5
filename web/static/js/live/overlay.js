// OBS overlays 直播画面: one page, one widget per `kind` (card, coupon, comments, featured,
// stats), drawn on a transparent 1920×1080 stage from the show's WebSocket.
//
// Overlays are read only: they never send a command (their token could not anyway). They show
// the current state from the snapshot the moment they open, then follow the events. A dropped
// connection keeps the last picture on air while the client reconnects in the background.

import {moneyParts, t} from "../i18n.js";
import {LiveClient, pageSettings} from "./client.js";
import {count, countdown, el, fill, money, safeImage, setClock, startCountdowns} from "./dom.js";

const $ = (id) => document.getElementById(id);
const WIDTH = 1920;
const HEIGHT = 1080;
const SLIDE_MS = 420; // keep in step with the transitions in overlay.css
const TICKER_SIZE = 8;

/** Run `fn` after the browser has laid out the current frame (so a transition starts). */
function nextFrame(fn) {
  requestAnimationFrame(() => requestAnimationFrame(fn));
}

// ---- 讲解卡 product card ------------------------------------------------------------------------

function cardWidget(live, root) {
  const card = el("article", "product-card", null, {"data-testid": "overlay-card"});
  root.append(card);
  let showing = null; // the card drawn now (sku and when it was taken)
  let timer = null;

  const draw = (data) => {
    const ladder = data.ladder || {};
    const prices = el("div", "prices", null, {"data-testid": "overlay-prices"});
    if (ladder.list_price && ladder.list_price !== ladder.final_price) {
      const list = el("div", "price list");
      list.append(el("span", "label", t("List price")), el("s", "value", money(ladder.list_price)));
      prices.append(list);
    }
    const finalIsLive = ladder.final_price === ladder.live_price || !ladder.final_price;
    if (ladder.live_price && !finalIsLive) {
      const livePrice = el("div", "price live");
      livePrice.append(el("span", "label", t("Live price")), el("span", "value", money(ladder.live_price)));
      prices.append(el("span", "arrow", "→"), livePrice);
    }
    const final = el("div", "price final");
    final.append(el("span", "label", finalIsLive ? t("Live price") : t("Price after coupon")),
                 el("span", "value", money(ladder.final_price || ladder.live_price),
                    {"data-testid": "overlay-final-price"}));
    if (prices.children.length) prices.append(el("span", "arrow", "→"));
    prices.append(final);

    const points = el("ul", "points");
    for (const point of (data.selling_points || []).slice(0, 3)) points.append(el("li", null, point.text));
    const image = safeImage(data.image);
    const picture = image ? el("img", "picture", null, {src: image, alt: ""}) : null;
    picture?.addEventListener("error", () => picture.remove());
    const body = el("div", "body");
    body.append(el("div", "title", data.title, {"data-testid": "overlay-card-title"}), points, prices);
    const stock = data.stock_left == null ? null
      : el("div", "stock", data.stock_left > 0 ? t("{n} left", {n: count(data.stock_left)}) : t("Sold out"));
    fill(card, [el("div", "ribbon", t("Now showing")), picture, body, stock]);
  };

  const show = () => {
    const next = live.view.card;
    clearTimeout(timer);
    if (!next) {
      card.classList.remove("in");
      showing = null;
      return;
    }
    if (showing && showing.sku === next.sku && showing.taken_at === next.taken_at) {
      draw(next); // the same card: stock moved, redraw in place
      return;
    }
    const wasIn = card.classList.contains("in");
    showing = next;
    const slideIn = () => {
      draw(live.view.card || next);
      nextFrame(() => card.classList.add("in"));
    };
    if (wasIn) {
      card.classList.remove("in"); // slide the old card out, then the new one in
      timer = setTimeout(slideIn, SLIDE_MS);
    } else {
      slideIn();
    }
  };
  live.on("state", ({keys}) => keys.has("card") && show());
}

// ---- 优惠券 / 秒杀 coupons and flash sale ---------------------------------------------------------

/** "15" % off -> "8.5" 折: the way Chinese shoppers read a percentage discount. */
function zhe(percentOff) {
  const value = (100 - Number(percentOff)) / 10;
  return Number.isFinite(value) ? String(Number(value.toFixed(2))) : `-${percentOff}%`;
}

/** A percentage discount's big number and its unit: 8.5 | 折 (zh), 15% | off (en). */
function discountFace(percentOff) {
  const text = t("{percent}%|off", {zhe: zhe(percentOff), percent: String(Number(percentOff))});
  const [amount, unit] = text.split("|");
  return [amount, unit ?? ""];
}

/** A countdown inside its caption, "{time}" marking where: "2:00 后结束" (zh), "ends in 2:00" (en). */
function captioned(message, node) {
  const [before, after = ""] = message.split("{time}");
  return [before.trim() ? el("span", "caption", before.trim()) : null, node,
          after.trim() ? el("span", "caption", after.trim()) : null].filter(Boolean);
}

function couponWidget(live, root) {
  const list = el("div", "tickets", null, {"data-testid": "overlay-coupons"});
  root.append(list);
  let saleTimer = null;

  const couponTicket = (coupon) => {
    const ticket = el("div", "ticket coupon", null, {"data-id": coupon.id, "data-testid": "coupon-ticket"});
    const face = el("div", "face");
    if (coupon.amount) {
      const {symbol, amount} = moneyParts(coupon.amount);
      face.append(el("span", "currency", symbol), el("span", "amount", amount));
    } else {
      const [amount, unit] = discountFace(coupon.percent_off);
      face.append(el("span", "amount", amount), el("span", "unit", unit));
    }
    const info = el("div", "info");
    info.append(el("div", "label", coupon.label),
                el("div", "rule", coupon.min_spend ? t("on orders of {amount}+", {amount: money(coupon.min_spend)})
                                                   : t("no minimum spend")),
                el("div", "left", t("{n} coupons left", {n: count(coupon.remaining)})));
    const timer = el("div", "timer");
    if (coupon.ends_at) {
      timer.append(...captioned(t("ends in {time}"),
                                countdown(coupon.ends_at, "countdown", {warn: 30, testid: "coupon-countdown"})));
    } else {
      timer.append(el("span", "caption", t("while they last")));
    }
    ticket.append(face, info, timer);
    return ticket;
  };

  const saleTicket = (sale) => {
    const ticket = el("div", "ticket flash", null, {"data-testid": "flash-ticket"});
    const face = el("div", "face");
    face.append(el("span", "tag", t("Flash sale")), el("span", "amount", money(sale.price)));
    const info = el("div", "info");
    info.append(el("div", "label", sale.title || sale.sku),
                el("div", "rule", t("limit {n} per buyer", {n: sale.per_buyer_limit})));
    const timer = el("div", "timer");
    if (Date.parse(sale.starts_at) > live.now()) {
      info.append(el("div", "left", t("{n} in total", {n: count(sale.quantity)})));
      timer.append(...captioned(t("starts in {time}"),
                                countdown(sale.starts_at, "countdown", {warn: 5, testid: "flash-countdown"})));
      ticket.classList.add("upcoming");
    } else {
      info.append(el("div", "left", t("{n} left", {n: count(sale.remaining)}), {"data-testid": "flash-left"}));
      if (sale.ends_at) {
        timer.append(...captioned(t("ends in {time}"), countdown(sale.ends_at, "countdown", {warn: 30})));
      } else {
        timer.append(el("span", "caption hot", t("selling now")));
      }
    }
    ticket.append(face, info, timer);
    return ticket;
  };

  const render = () => {
    clearTimeout(saleTimer);
    const coupons = Object.values(live.view.coupons || {})
      .filter((c) => c.status === "active")
      .sort((a, b) => (a.ends_at || "~").localeCompare(b.ends_at || "~"));
    const tickets = coupons.map(couponTicket);
    const sale = live.view.flash_sale;
    if (sale && sale.status === "active") {
      tickets.unshift(saleTicket(sale));
      const wait = Date.parse(sale.starts_at) - live.now();
      if (wait > 0) saleTimer = setTimeout(render, wait + 30); // the countdown becomes "left"
    }
    fill(list, tickets);
  };
  live.on("state", ({keys}) => (keys.has("coupons") || keys.has("flash_sale")) && render());
}

// ---- 评论 comment ticker ---------------------------------------------------------------------------

function commentsWidget(live, root) {
  const list = el("ol", "ticker", null, {"data-testid": "overlay-comments"});
  root.append(list);
  const rendered = new Map(); // id -> node

  const node = (comment) => {
    const item = el("li", "bubble", null, {"data-id": comment.id});
    item.classList.toggle("question", Boolean(comment.question));
    item.classList.toggle("gift", comment.kind === "gift");
    if (comment.question) item.append(el("span", "tag", t("Q")));
    if (comment.kind === "gift") item.append(el("span", "tag", t("gift")));
    item.append(el("span", "nick", comment.nickname || t("viewer")), el("span", "text", comment.text));
    return item;
  };

  const render = ({keys}) => {
    if (!keys.has("comments")) return;
    const latest = live.comments.filter((c) => !c.hidden && (c.text || c.kind === "gift"))
      .slice(-TICKER_SIZE);
    const wanted = new Set(latest.map((c) => c.id));
    for (const [id, item] of rendered) {
      if (!wanted.has(id)) {
        item.remove();
        rendered.delete(id);
      }
    }
    for (const comment of latest) {
      if (rendered.has(comment.id)) continue;
      const item = node(comment);
      rendered.set(comment.id, item);
      list.append(item); // comments arrive in order: new ones go to the bottom
      nextFrame(() => item.classList.add("in"));
    }
  };
  live.on("state", render);
}

// ---- 上屏评论 featured comment -----------------------------------------------------------------------

function featuredWidget(live, root) {
  const box = el("div", "featured-comment", null, {"data-testid": "overlay-featured"});
  root.append(box);
  let showing = null;
  let timer = null;
  live.on("state", ({keys}) => {
    if (!keys.has("featured")) return;
    const featured = live.view.featured;
    if ((featured?.id ?? null) === showing) return;
    clearTimeout(timer);
    showing = featured?.id ?? null;
    const draw = () => {
      if (!featured) return;
      fill(box, [el("div", "nick", featured.nickname || t("viewer"), {"data-testid": "featured-nick"}),
                 el("div", "text", featured.text, {"data-testid": "featured-text"})]);
      nextFrame(() => box.classList.add("in"));
    };
    if (box.classList.contains("in")) {
      box.classList.remove("in");
      timer = setTimeout(draw, SLIDE_MS);
    } else {
      draw();
    }
  });
}

// ---- 实时数据 stats -------------------------------------------------------------------------------

function statsWidget(live, root) {
  const items = [["online", t("Online"), (s) => count(s.online, true)],
                 ["likes", t("Likes"), (s) => count(s.likes, true)],
                 ["orders", t("Orders"), (s) => count(s.orders, true)],
                 ["gmv", t("GMV"), (s) => money(s.gmv || "0.00")]];
  const row = el("div", "stats-row", null, {"data-testid": "overlay-stats"});
  const values = new Map();
  for (const [key, label] of items) {
    const pill = el("div", `stat stat-${key}`);
    const value = el("b", "value", "0", {"data-testid": `stat-${key}`});
    values.set(key, value);
    pill.append(el("span", "label", label), value);
    row.append(pill);
  }
  root.append(row);
  live.on("state", ({keys}) => {
    if (!keys.has("stats")) return;
    const stats = live.view.stats || {};
    for (const [key, , format] of items) {
      const text = format(stats);
      const value = values.get(key);
      if (value.textContent !== text) {
        value.textContent = text;
        value.classList.remove("bump");
        nextFrame(() => value.classList.add("bump"));
      }
    }
  });
}

const WIDGETS = {card: cardWidget, coupon: couponWidget, comments: commentsWidget,
                 featured: featuredWidget, stats: statsWidget};

// ---- the stage -------------------------------------------------------------------------------------

/** Scale the 1920×1080 design to the browser source's size (OBS may use 1280×720). */
function fit(stage) {
  const scale = Math.min(innerWidth / WIDTH, innerHeight / HEIGHT) || 1;
  stage.style.transform = scale === 1 ? "" : `scale(${scale})`;
}

function main() {
  const stage = $("stage");
  const settings = pageSettings(stage);
  const live = new LiveClient({showId: settings.showId, token: settings.token, prefix: "ovl"});
  setClock(() => live.now());
  if (settings.debug) {
    document.documentElement.classList.add("debug");
    $("debug-bar").hidden = false;
  }
  const widget = WIDGETS[stage.dataset.kind];
  widget?.(live, $("widget"));
  live.on("connection", ({status, detail}) => {
    stage.dataset.connection = status;
    if (settings.debug) {
      $("debug-bar").textContent = `${stage.dataset.kind} · ${settings.showId} · ${status}` +
        `${detail ? ` (${detail})` : ""} · seq ${live.seq ?? "–"}`;
    }
    // Only what cannot fix itself is shown: a wrong token or show, seen while setting OBS up.
    $("overlay-error").hidden = status !== "failed";
    if (status === "failed") $("overlay-error").textContent = t("Studio overlay: {reason}", {reason: detail});
  });
  if (settings.debug) {
    live.on("event", () => {
      $("debug-bar").textContent = `${stage.dataset.kind} · ${settings.showId} · ${live.status} · seq ${live.seq}`;
    });
  }
  fit(stage);
  addEventListener("resize", () => fit(stage));
  live.start();
  startCountdowns(stage);
  window.studioLive = live; // for the browser console and the end-to-end tests
}

main();
