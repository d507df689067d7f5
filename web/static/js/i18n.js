// The page's language and its messages, read from the <script type="application/json" id="i18n">
// block the server renders from the same gettext catalogue as the templates (studio/i18n.py).
//
//   t("Saved")                              the message in the page's language
//   t("Moved to position {n}", {n: 3})      with {name} filled in
//   tn("{n} cut", "{n} cuts", count)        singular or plural ({n} is the count, formatted)
//   money("1234.50", "CNY")                 ¥1,234.50 / CN¥1,234.50 — from the decimal string
//
// Keys are the English messages: `pybabel extract` finds them in t() and tn() calls (babel.cfg), so
// every key must be a plain string literal. What these return is only ever set as textContent.

const block = document.getElementById("i18n");
const data = block ? JSON.parse(block.textContent) : {};

/** The page's language tag: "zh-CN" or "en". */
export const locale = data.locale || document.documentElement.lang || "zh-CN";
const messages = data.messages || {};
const plurals = new Intl.PluralRules(locale);
const numbers = new Intl.NumberFormat(locale);

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** The message for `key` in the page's language, with `{name}` placeholders filled from `params`. */
export function t(key, params = {}) {
  const found = messages[key];
  return fill(typeof found === "string" && found ? found : key, params);
}

/**
 * A server's refusal in the page's language: the frame's `message` (an English template the
 * server's catalogue entries share) translated and filled from `params`, or, when this page has
 * no translation for it, the server's own English `reason`.
 */
export function reasonOf(frame) {
  const found = frame.message ? messages[frame.message] : null;
  if (typeof found === "string" && found) return fill(found, frame.params || {});
  return frame.reason || frame.code || "";
}

/** One of two messages by the count `n` (the language's plural rule); `{n}` is `n`, formatted. */
export function tn(singular, plural, n, params = {}) {
  const forms = messages[singular];
  let text;
  if (Array.isArray(forms) && forms.length) {
    text = forms.length === 1 ? forms[0] : forms[plurals.select(Number(n)) === "one" ? 0 : 1];
  } else {
    text = Number(n) === 1 ? singular : plural;
  }
  return fill(text, {n: number(n), ...params});
}

/** ["A", "B", "C"] -> "A, B, and C" / "A、B和C". */
export function list(items) {
  return new Intl.ListFormat(locale, {type: "conjunction"}).format(items.map(String));
}

/** 12345 -> "12,345". */
export function number(value) {
  return numbers.format(Number(value) || 0);
}

const moneyFormats = new Map();

function moneyFormat(currency, trim) {
  const key = `${currency}|${trim}`;
  if (!moneyFormats.has(key)) {
    const options = {style: "currency", currency};
    if (trim) options.trailingZeroDisplay = "stripIfInteger";
    moneyFormats.set(key, new Intl.NumberFormat(locale, options));
  }
  return moneyFormats.get(key);
}

/**
 * A decimal string ("1234.50", as the API sends money) as money in the page's language. Intl
 * formats the string itself, digit by digit: the amount never becomes a float. With `trim`,
 * whole amounts lose their ".00" (¥159), as prices on screen are usually written.
 */
export function money(value, currency = "CNY", {trim = false} = {}) {
  if (value == null || value === "") return "—";
  return moneyFormat(currency || "CNY", trim).format(String(value));
}

/** The currency symbol and the amount apart ("¥", "20"), for a coupon's big number. */
export function moneyParts(value, currency = "CNY", {trim = true} = {}) {
  const parts = moneyFormat(currency || "CNY", trim).formatToParts(String(value));
  const symbol = parts.filter((p) => p.type === "currency").map((p) => p.value).join("");
  const amount = parts.filter((p) => p.type !== "currency" && p.type !== "literal")
    .map((p) => p.value).join("");
  return {symbol, amount};
}
