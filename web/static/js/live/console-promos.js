// The console's promotions column: forms for a coupon 优惠券, a flash sale 秒杀 and a giveaway
// 福袋, and what is running now with live countdowns and cancel / end / draw buttons.
//
// Money goes to the server as the decimal string the operator typed; the server checks it
// (and the floor price) and a rejection comes back as a toast with its reason.

import {list as joinList, t, tn} from "../i18n.js";
import {count, countdown, el, fill, money} from "./dom.js";

const $ = (id) => document.getElementById(id);

/** Whole number from a field, or undefined when it is empty. */
function integer(value) {
  const text = String(value ?? "").trim();
  return text === "" ? undefined : Number.parseInt(text, 10);
}

/** A decimal string from a field ("20", "19.9"), or undefined when empty; "¥" and "," dropped. */
function decimal(value) {
  const text = String(value ?? "").replace(/[¥,，\s]/g, "");
  return text === "" ? undefined : text;
}

const plain = (text) => String(text).replace(/\.0+$|(\.\d*?)0+$/, "$1");

/**
 * What viewers read on the coupon when the operator gives no label, in the console's language:
 * 满199减20, 立减20元, 满199打8.5折 (zh) or "Spend 199, save 20", "Save 20", "15% off" (en). The
 * Chinese messages use {zhe}, the price paid in tenths: 15 % off is 8.5折.
 */
function couponLabel(percent, value, minSpend) {
  if (!value) return undefined;
  const min = minSpend && Number(minSpend) > 0 ? plain(minSpend) : null;
  if (percent) {
    const zhe = Number(((100 - Number(value)) / 10).toFixed(2)); // "15" % off -> 8.5 折
    if (!Number.isFinite(zhe)) return undefined;
    const params = {zhe, percent: plain(value), min};
    return min ? t("Spend {min}, {percent}% off", params) : t("{percent}% off", params);
  }
  return min ? t("Spend {min}, save {off}", {min, off: plain(value)}) : t("Save {off}", {off: plain(value)});
}

function compact(args) {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined && v !== ""));
}

export function setupPromotions({live, send, products}) {
  const tabs = [...document.querySelectorAll(".promos [role=tab]")];
  for (const tab of tabs) {
    tab.addEventListener("click", () => {
      for (const other of tabs) {
        other.setAttribute("aria-selected", String(other === tab));
        $(other.getAttribute("aria-controls")).hidden = other !== tab;
      }
    });
  }
  for (const group of document.querySelectorAll(".presets")) {
    const field = group.closest("form").elements[group.dataset.for];
    group.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-value]");
      if (button) field.value = button.dataset.value;
    });
  }

  const submitting = (form, build, name) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      await send(name, compact(build(form.elements)), {button, done: `${name} ✓`});
    });
  };
  submitting($("coupon-form"), (f) => {
    const percent = f.type.value === "percent";
    const value = decimal(f.value.value);
    const minSpend = decimal(f.min_spend.value);
    return {
      [percent ? "percent_off" : "amount"]: value, min_spend: minSpend,
      quantity: integer(f.quantity.value), duration_seconds: integer(f.duration_seconds.value),
      label: f.label.value.trim() || couponLabel(percent, value, minSpend),
    };
  }, "coupon.launch");
  submitting($("flash-form"), (f) => ({
    sku: f.sku.value.trim(), price: decimal(f.price.value), quantity: integer(f.quantity.value),
    per_buyer_limit: integer(f.per_buyer_limit.value),
    countdown_seconds: integer(f.countdown_seconds.value),
    duration_seconds: integer(f.duration_seconds.value),
  }), "flash_sale.start");
  submitting($("giveaway-form"), (f) => ({
    prize: f.prize.value.trim(), keyword: f.keyword.value.trim(), winners: integer(f.winners.value),
    draw_in_seconds: integer(f.draw_in_seconds.value),
  }), "giveaway.start");
  // A flash sale's price defaults to the product's final price in the plan.
  $("flash-form").elements.sku.addEventListener("change", (event) => {
    const product = products().find((p) => p.sku === event.target.value.trim());
    const price = $("flash-form").elements.price;
    if (product && !price.value) price.value = product.final_price || "";
  });

  let saleTimer = null;
  const render = () => {
    clearTimeout(saleTimer);
    const items = [];
    for (const coupon of Object.values(live.view.coupons || {})) {
      if (coupon.status === "active") items.push(couponItem(coupon, send));
    }
    const sale = live.view.flash_sale;
    if (sale && sale.status === "active") {
      items.push(saleItem(sale, live, send));
      const wait = Date.parse(sale.starts_at) - live.now();
      if (wait > 0) saleTimer = setTimeout(render, wait + 50); // "starts in" becomes "selling"
    }
    const giveaways = Object.values(live.view.giveaways || {});
    for (const giveaway of giveaways) {
      if (giveaway.status === "open") items.push(giveawayItem(giveaway, send));
    }
    // the last draws stay in view: the host reads the winners out
    for (const giveaway of giveaways.filter((g) => g.status === "drawn").slice(-2).reverse()) {
      items.push(drawnItem(giveaway, live.comments));
    }
    if (!items.length) items.push(el("li", "empty", t("Nothing running")));
    fill($("active-promos"), items);
  };

  const renderIntents = () => {
    const names = new Map(products().map((p) => [p.sku, p.label]));
    const entries = Object.entries(live.view.intents || {}).sort((a, b) => b[1] - a[1]);
    fill($("intents"), entries.length ? entries.slice(0, 12).map(([sku, n]) => {
      const item = el("li", null, null, {"data-sku": sku});
      item.append(el("b", "n", `+${n}`), el("span", "name", names.get(sku) || sku),
                  el("code", null, sku));
      return item;
    }) : [el("li", "empty", t("None yet: +1 / 想要 / 拍了 on the card's product"))]);
  };

  live.on("state", ({keys}) => {
    if (keys.has("coupons") || keys.has("flash_sale") || keys.has("giveaways")) render();
    if (keys.has("intents") || keys.has("card")) renderIntents();
  });
  render();
  renderIntents();
}

function promo(kind, title, testid) {
  const item = el("li", `promo ${kind}`, null, {"data-testid": testid});
  item.append(el("div", "promo-title", title));
  return item;
}

function couponItem(coupon, send) {
  const item = promo("coupon", coupon.label, `coupon-${coupon.id}`);
  const detail = el("div", "promo-detail");
  detail.append(el("span", null, coupon.min_spend ? t("orders of {amount}+", {amount: money(coupon.min_spend)})
                                                 : t("no minimum")),
                el("span", null, t("{left} / {total} left", {left: count(coupon.remaining),
                                                            total: count(coupon.quantity)})));
  const right = el("div", "promo-side");
  right.append(coupon.ends_at ? countdown(coupon.ends_at, "countdown", {warn: 30})
                              : el("span", "countdown", t("no time limit")));
  const cancel = el("button", "small", t("Cancel"), {type: "button"});
  cancel.addEventListener("click", () => send("coupon.cancel", {id: coupon.id}, {button: cancel}));
  right.append(cancel);
  item.append(detail, right);
  return item;
}

function saleItem(sale, live, send) {
  const item = promo("flash", `${t("Flash sale")} ${money(sale.price)} · ${sale.title || sale.sku}`, "flash-sale");
  const detail = el("div", "promo-detail");
  detail.append(el("code", null, sale.sku),
                el("span", null, t("{left} / {total} left", {left: count(sale.remaining),
                                                            total: count(sale.quantity)})),
                el("span", null, t("limit {n} per buyer", {n: sale.per_buyer_limit})));
  const right = el("div", "promo-side");
  if (Date.parse(sale.starts_at) > live.now()) {
    right.append(el("span", "label", `${t("starts in")} `), countdown(sale.starts_at, "countdown", {warn: 5}));
  } else if (sale.ends_at) {
    right.append(el("span", "label", `${t("ends in")} `), countdown(sale.ends_at, "countdown", {warn: 30}));
  } else {
    right.append(el("span", "countdown", t("selling")));
  }
  const end = el("button", "small", t("End"), {type: "button"});
  end.addEventListener("click", () => send("flash_sale.end", {}, {button: end}));
  right.append(end);
  item.append(detail, right);
  return item;
}

function giveawayItem(giveaway, send) {
  const item = promo("giveaway", `${t("Giveaway")} ${giveaway.prize}`, `giveaway-${giveaway.id}`);
  const detail = el("div", "promo-detail");
  detail.append(el("span", null, giveaway.keyword ? t("keyword “{keyword}”", {keyword: giveaway.keyword})
                                                  : t("any comment enters")),
                el("span", null, tn("{n} entrant", "{n} entrants", giveaway.entrants)),
                el("span", null, tn("{n} winner", "{n} winners", giveaway.winners_count)));
  const right = el("div", "promo-side");
  if (giveaway.draw_at) {
    right.append(el("span", "label", `${t("draw in")} `), countdown(giveaway.draw_at, "countdown", {warn: 10}));
  }
  const draw = el("button", "small primary", t("Draw"), {type: "button"});
  draw.addEventListener("click", () => send("giveaway.draw", {id: giveaway.id}, {button: draw}));
  const cancel = el("button", "small", t("Cancel"), {type: "button", title: t("Cancel the giveaway")});
  cancel.addEventListener("click", () => send("giveaway.cancel", {id: giveaway.id}, {button: cancel}));
  right.append(draw, cancel);
  item.append(detail, right);
  return item;
}

function drawnItem(giveaway, comments) {
  const item = promo("drawn", t("Drawn: {prize}", {prize: giveaway.prize}), `drawn-${giveaway.id}`);
  // winners are "platform:user_id"; the feed usually knows their nicknames
  const names = new Map(comments.map((c) => [`${c.platform}:${c.user_id}`, c.nickname]));
  const winners = (giveaway.winners || []).map((w) => names.get(w) || w);
  item.append(el("div", "promo-detail",
                 winners.length ? `${t("winners: {names}", {names: joinList(winners)})} ` +
                   `(${tn("{n} entrant", "{n} entrants", giveaway.entrants)})`
                   : t("no entrants")));
  return item;
}
