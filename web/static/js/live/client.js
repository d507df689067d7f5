// The live console protocol (docs/protocol.md) in the browser, shared by the operator console
// and the OBS overlays.
//
//   const live = new LiveClient({showId, token, prefix: "con"});
//   live.on("state", ({keys, frame}) => …)   after a snapshot (keys: every key) or an event
//   live.on("comments", (items) => …)        feed items appended by a "comments" event
//   live.on("connection", (status) => …)     connecting | live | reconnecting | failed
//   live.on("event", (frame) => …)           every event frame, after it was applied
//   live.start();
//   await live.command("card.take", {sku});  resolves on ack, rejects with the reason
//   live.now()                               the server's clock, in ms since the epoch
//
// The view is kept exactly as the protocol says: a snapshot replaces it, each event's `state`
// holds the top-level keys it changed (Object.assign), and "comments" events append
// `data.items`. The client remembers the last seq and resumes from it after a drop, with an
// exponential back-off from 0.5 s to 5 s. Commands carry an id made here; one that has not been
// answered when the connection drops is sent again with the same id after the reconnect, which
// is safe because the server carries out each id once and repeats its first answer (a command
// still unanswered after 5 s on a live connection is sent again once, for the same reason).

import {showTime, wallTime} from "../showclock.js";
import {reasonOf, t} from "../i18n.js";

const MIN_DELAY = 500;
const MAX_DELAY = 5000;
const PING_EVERY = 15_000;
const SILENCE_LIMIT = 40_000; // no frame at all (not even a pong) for this long: reconnect
const RESEND_AFTER = 5000; // no answer yet: send the command again, same id (protocol: same answer)
const KEEP_COMMENTS = 200;
// The snapshot's `comments` holds comments and gifts; likes, follows, orders and viewer counts
// only move `stats`, so the feed keeps the same kinds when it appends a batch.
const FEED_KINDS = new Set(["comment", "gift"]);
// Close codes after which trying again cannot help (docs/protocol.md, "Limits and close codes").
const FATAL = {4001: t("unknown or revoked token for this show"), 4004: t("no such show")};

/** A command the server refused: `code` is stable, `message` is the server's reason. */
export class CommandRejected extends Error {
  constructor(code, reason) {
    super(reason || code);
    this.name = "CommandRejected";
    this.code = code;
  }
}

function sessionTag() {
  const bytes = new Uint8Array(4);
  crypto.getRandomValues(bytes); // works on plain http too, unlike crypto.randomUUID
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class LiveClient {
  constructor({showId, token, prefix = "web", url = null}) {
    this.showId = showId;
    this.token = token;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.url = url || `${scheme}://${location.host}/ws/live/${encodeURIComponent(showId)}`;
    this.idPrefix = `${prefix}-${sessionTag()}`;
    this.counter = 0;
    this.view = {};
    this.comments = [];
    this.role = null;
    this.seq = null;
    this.offset = 0; // server clock minus ours, in ms
    this.status = "connecting";
    this.socket = null;
    this.attempt = 0;
    this.pending = new Map(); // id -> {name, args, resolve, reject}
    this.listeners = new Map();
    this.lastFrameAt = 0;
    this.pingSentAt = null;
    this.retryTimer = null;
    this.pingTimer = null;
    this.stopped = false;
    this.failure = null;
  }

  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(fn);
    return this;
  }

  emit(type, value) {
    for (const fn of this.listeners.get(type) || []) {
      try {
        fn(value);
      } catch (error) {
        console.error(`live: a ${type} listener failed`, error); // one bad panel must not stop the rest
      }
    }
  }

  /**
   * The show's clock now (ms since the epoch): countdowns agree on every screen. It is the
   * server's clock, except in a rehearsal, whose show clock runs `speed` times as fast from its
   * start (`state.show.clock`, docs/protocol.md).
   */
  now() {
    return showTime(Date.now() + this.offset, this.view?.show?.clock);
  }

  /** A time the server stamped (show time) on the server's wall clock, where offsets are kept. */
  toWall(ms) {
    return wallTime(ms, this.view?.show?.clock);
  }

  start() {
    if (!this.token) {
      this.fail(t("no token in the page address (add ?token=…)"));
      return this;
    }
    this.connect();
    this.pingTimer = setInterval(() => this.keepAlive(), PING_EVERY);
    return this;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    this.socket?.close(1000, "page closed");
  }

  /** Send a command; resolves with the ack, rejects with CommandRejected (its reason). */
  command(name, args = {}) {
    if (this.failure) return Promise.reject(new CommandRejected("offline", this.failure));
    this.counter += 1;
    const id = `${this.idPrefix}-${String(this.counter).padStart(5, "0")}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {name, args, resolve, reject});
      if (this.status === "live") this.sendCommand(id);
      // otherwise it goes out as soon as the connection is back (see settle())
    });
  }

  // ---- connection ---------------------------------------------------------------------------------

  connect() {
    this.setStatus(this.attempt === 0 && this.seq === null ? "connecting" : "reconnecting");
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      this.retry(t("cannot open {url}: {reason}", {url: this.url, reason: error.message}));
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      const hello = {type: "hello", token: this.token};
      if (this.seq !== null) hello.last_seq = this.seq;
      socket.send(JSON.stringify(hello));
      this.lastFrameAt = Date.now();
    });
    socket.addEventListener("message", (message) => {
      if (socket !== this.socket) return;
      this.lastFrameAt = Date.now();
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        console.warn("live: a frame that is not JSON", message.data);
        return;
      }
      this.receive(frame);
    });
    socket.addEventListener("close", (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      if (this.stopped) return;
      if (FATAL[event.code]) {
        this.fail(`${FATAL[event.code]} (${event.code})`);
        return;
      }
      this.retry(event.reason || t("closed ({code})", {code: event.code}));
    });
  }

  retry(why) {
    if (this.stopped || this.failure) return;
    this.setStatus("reconnecting", why);
    const delay = Math.min(MAX_DELAY, MIN_DELAY * 2 ** this.attempt);
    this.attempt += 1;
    // a little jitter so a room full of screens does not reconnect in lockstep after a restart
    this.retryTimer = setTimeout(() => this.connect(), delay * (0.85 + Math.random() * 0.3));
  }

  fail(why) {
    this.failure = why;
    clearInterval(this.pingTimer);
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new CommandRejected("offline", why));
      this.pending.delete(id);
    }
    this.setStatus("failed", why);
  }

  /** Drop the socket and resume from the last seq (used when the stream looks wrong). */
  reconnect(why) {
    const socket = this.socket;
    this.socket = null;
    socket?.close(4000, why.slice(0, 100));
    this.retry(why);
  }

  keepAlive() {
    if (this.status !== "live" || !this.socket) return;
    if (Date.now() - this.lastFrameAt > SILENCE_LIMIT) {
      this.reconnect("no answer from the server"); // also the close reason: plain ASCII, under 123 bytes
      return;
    }
    this.pingSentAt = Date.now();
    this.send({type: "ping"});
  }

  setStatus(status, detail = "") {
    const changed = status !== this.status;
    this.status = status;
    if (changed || detail) this.emit("connection", {status, detail});
  }

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  sendCommand(id) {
    const entry = this.pending.get(id);
    if (!entry || !this.send({type: "command", id, name: entry.name, args: entry.args})) return;
    clearTimeout(entry.timer);
    const socket = this.socket;
    entry.timer = setTimeout(() => {
      // once per connection: a reconnect sends everything unanswered again anyway
      if (this.pending.get(id) === entry && this.socket === socket && this.status === "live") {
        this.send({type: "command", id, name: entry.name, args: entry.args});
      }
    }, RESEND_AFTER);
  }

  /** The connection is usable again: (re)send every command still waiting for its answer. */
  settle() {
    this.attempt = 0;
    this.setStatus("live");
    for (const id of this.pending.keys()) this.sendCommand(id);
  }

  syncClock(serverTime, sentAt = null) {
    const server = this.toWall(Date.parse(serverTime));
    if (Number.isNaN(server)) return;
    const received = Date.now();
    if (sentAt !== null) {
      // With a round trip (ping/pong) the reply was made half-way through it.
      this.offset = server - (sentAt + received) / 2;
      this.samples = [];
      return;
    }
    // A one-way stamp is late by the network delay, so each sample can only be too low:
    // keep the highest of the last five minutes (a countdown must never read a second long).
    this.samples = (this.samples || []).filter((s) => received - s.at < 300_000);
    this.samples.push({ at: received, value: server - received });
    this.offset = Math.max(...this.samples.map((s) => s.value));
  }

  /**
   * The server's clock has passed `moment` (an event's time) by now, so our estimate may not be
   * earlier: otherwise a coupon launched for 120 s would show 2:01 while the estimate lags.
   */
  atLeast(moment) {
    const floor = this.toWall(Date.parse(moment)) - Date.now();
    if (!Number.isNaN(floor) && floor > this.offset) this.offset = floor;
  }

  // ---- frames -------------------------------------------------------------------------------------

  receive(frame) {
    switch (frame.type) {
      case "snapshot":
        this.applySnapshot(frame);
        this.settle();
        break;
      case "resumed":
        if (frame.server_time) this.syncClock(frame.server_time);
        this.settle();
        break;
      case "event":
        if (frame.at) this.atLeast(frame.at);
        this.applyEvent(frame);
        break;
      case "ack":
      case "reject":
        this.answer(frame);
        break;
      case "pong":
        if (frame.server_time) this.syncClock(frame.server_time, this.pingSentAt);
        this.pingSentAt = null;
        break;
      case "error":
        console.warn("live: the server says", frame.code, frame.reason);
        this.emit("error", frame);
        break;
      default:
        break; // a newer server may send more kinds of frame; they are not for us
    }
  }

  applySnapshot(frame) {
    this.role = frame.role;
    const {comments = [], ...state} = frame.state;
    this.view = state;
    this.syncClock(frame.server_time); // after the view: a rehearsal's clock is in it
    this.comments = comments.slice(-KEEP_COMMENTS);
    this.seq = frame.seq;
    this.emit("state", {keys: new Set([...Object.keys(state), "comments"]), frame});
  }

  applyEvent(frame) {
    if (this.seq !== null && frame.seq <= this.seq) return; // already applied
    if (this.seq !== null && frame.seq !== this.seq + 1) {
      this.reconnect(`missed events ${this.seq + 1}–${frame.seq - 1}`);
      return;
    }
    Object.assign(this.view, frame.state || {});
    this.seq = frame.seq;
    const keys = new Set(Object.keys(frame.state || {}));
    if (frame.event === "comments") {
      const items = (frame.data?.items || []).filter((item) => FEED_KINDS.has(item.kind));
      if (items.length) {
        this.comments.push(...items);
        if (this.comments.length > KEEP_COMMENTS) {
          this.comments.splice(0, this.comments.length - KEEP_COMMENTS);
        }
        keys.add("comments");
        this.emit("comments", items);
      }
    } else if (frame.event === "comment.hidden") {
      // The comment list is not a key of the view, so the event says which one to grey out
      // (operators) or to take off screen (everyone else never sees hidden comments).
      const index = this.comments.findIndex((c) => c.id === frame.data?.id);
      if (index >= 0) {
        if (this.role === "operator") {
          this.comments[index] = {...this.comments[index], hidden: true,
                                  hidden_reason: frame.data.reason || t("hidden by the operator")};
        } else {
          this.comments.splice(index, 1);
        }
        keys.add("comments");
      }
    }
    this.emit("event", frame);
    this.emit("state", {keys, frame});
  }

  answer(frame) {
    const entry = this.pending.get(frame.id);
    if (!entry) return; // an answer to a command sent before a reload, or a repeat
    this.pending.delete(frame.id);
    clearTimeout(entry.timer);
    if (frame.type === "ack") entry.resolve(frame);
    else entry.reject(new CommandRejected(frame.code, reasonOf(frame)));
  }
}

/** The token and the show of this page: ?token=… and the data-show attribute of `root`. */
export function pageSettings(root) {
  const query = new URLSearchParams(location.search);
  return {showId: root.dataset.show, token: query.get("token"), debug: query.get("debug") === "1"};
}
