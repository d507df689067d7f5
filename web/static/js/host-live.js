// 主播屏 Host screen, following the live console: a clock source (the contract is at the top of
// host.js) fed by the show's WebSocket, so the control room, not this screen, says which slot is
// on air and since when.
//
// Protocol (docs/protocol.md): open ws(s)://HOST/ws/live/SHOW, send hello with the host token (and
// the last seq applied, when resuming), then apply the snapshot and the numbered events in order:
// each event's `state` holds the top-level keys of the view it changed, merged as they come.
//
// The screen never moves on its own: a key press sends runsheet.next / runsheet.previous with a
// unique id, and the slot changes when the resulting event arrives, the same moment it does on
// every other screen of the show. Times are server times; `offset` (server minus local clock,
// from every server_time) turns Date.now() into the server's clock.

import {showTime, wallTime} from "./showclock.js";
import {reasonOf, t} from "./i18n.js";

const RETRY_MS = [500, 1000, 2000, 4000, 8000, 10000]; // reconnect back-off, then every 10 s
const PING_MS = 15_000; // a ping every 15 s keeps proxies open and refreshes the clock offset
const SILENT_MS = 40_000; // nothing at all for this long: the socket is dead, reconnect
const RESEND_MS = 4000; // no answer to a command: send it again with the same id (done once)
const OFFSET_WINDOW_MS = 5 * 60_000; // clock-offset samples are kept this long
const GIVE_UP_MS = 12_000; // a command unanswered for this long is dropped, and the host told
const FATAL = {4001: t("the host token was refused (rotated?) — open the new host URL"),
               4004: t("no such show")};

export class LiveSource {
  /**
   * @param {string} showId  the show (= plan) id
   * @param {string} token   the show's host token
   * @param {object} options `url` overrides the WebSocket address (tests), `socket` the class
   */
  constructor(showId, token, {url, socket = WebSocket} = {}) {
    this.live = true;
    this.showId = showId;
    this.token = token;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.url = url || `${scheme}://${location.host}/ws/live/${encodeURIComponent(showId)}`;
    this.Socket = socket;
    this.view = null; // the role's view of the live state, as the server sends it
    this.seq = null; // seq of the last event applied
    this.offset = 0; // server clock minus local clock, in ms
    this.state = null; // the clock-source state (see host.js), rebuilt from the view
    this.connection = "connecting"; // connecting | live | reconnecting | failed
    this.failure = null; // why the server will not have us (a bad token): no more retries
    this.lastClose = null; // the last close code and reason, while we cannot connect
    this.listeners = [];
    this.noticeListeners = [];
    this.pending = new Map(); // command id -> {name, sentAt, firstAt, resolve}
    this.counter = 0;
    this.session = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
    this.attempt = 0;
    this.socket = null;
    this.retryTimer = null;
    this.pingTimer = null;
    this.lastHeard = 0;
    this.openedAt = 0;
    this.pingSentAt = 0;
  }

  // ---- the clock-source contract ------------------------------------------------------------

  begin() {} // the control room starts the show (runsheet.next), never this screen
  goTo() {} // moves go through step(): the host role may only send next and previous
  reset() { this.notice(t("the control room keeps the time")); }

  subscribe(fn) { this.listeners.push(fn); }
  onNotice(fn) { this.noticeListeners.push(fn); }

  /** Ask the server to move one slot (+1 next, -1 previous); resolves with the ack or reject. */
  step(direction) {
    return this.command(direction > 0 ? "runsheet.next" : "runsheet.previous", {});
  }

  command(name, args) {
    if (this.connection !== "live") {
      this.notice(t("not connected to the control room — not sent"));
      return Promise.resolve({type: "reject", code: "offline", reason: "not connected"});
    }
    this.counter += 1;
    const id = `host-${this.session}-${this.counter}`;
    return new Promise((resolve) => {
      const now = Date.now();
      this.pending.set(id, {name, args, sentAt: now, firstAt: now, resent: false, resolve});
      this.send({type: "command", id, name, args});
      this.changed();
    });
  }

  get busy() { return this.pending.size > 0; }

  // ---- connection ---------------------------------------------------------------------------

  start() {
    this.connect();
    addEventListener("online", () => this.reconnectNow());
    this.pingTimer = setInterval(() => this.heartbeat(), 1000);
    return this;
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    let socket;
    try {
      socket = new this.Socket(this.url);
    } catch (error) {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    this.openedAt = Date.now();
    socket.addEventListener("open", () => {
      if (socket !== this.socket) return;
      this.lastHeard = Date.now();
      const hello = {type: "hello", token: this.token};
      if (this.seq != null) hello.last_seq = this.seq; // resume: only the events we missed
      socket.send(JSON.stringify(hello));
    });
    socket.addEventListener("message", (message) => {
      if (socket !== this.socket) return;
      this.lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return; // not ours to understand
      }
      this.receive(frame);
    });
    socket.addEventListener("close", (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.lastClose = event.code === 1006 ? t("no connection") : `${event.code} ${event.reason || ""}`.trim();
      if (FATAL[event.code]) {
        this.failure = FATAL[event.code];
        this.setConnection("failed");
        this.notice(this.failure);
        return;
      }
      this.scheduleRetry();
    });
    // "error" is always followed by "close", which does the work
  }

  scheduleRetry() {
    if (this.failure) return;
    this.setConnection(this.view ? "reconnecting" : "connecting");
    const base = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
    this.attempt += 1;
    // Jitter, so a room full of screens does not reconnect in the same millisecond.
    this.retryTimer = setTimeout(() => this.connect(), base * (0.75 + Math.random() * 0.5));
  }

  reconnectNow() {
    if (this.retryTimer && !this.failure) {
      this.attempt = 0;
      this.connect();
    }
  }

  /** Drop the socket (it is stale or out of step) and open a new one, resuming from `seq`. */
  restart(reason) {
    const socket = this.socket;
    this.socket = null;
    try {
      socket?.close(4000, reason.slice(0, 100));
    } catch {
      // already closing
    }
    this.scheduleRetry();
  }

  heartbeat() {
    const now = Date.now();
    if (this.socket && this.socket.readyState === 0 && now - this.openedAt > 10_000) {
      this.restart("no connection within 10 s");
      return;
    }
    if (this.socket && this.socket.readyState === 1) {
      if (now - this.lastHeard > SILENT_MS) {
        this.restart("no frames for 40 s");
        return;
      }
      if (this.connection === "live" && now - this.pingSentAt > PING_MS) {
        this.pingSentAt = now;
        this.send({type: "ping"});
      }
    }
    for (const [id, command] of this.pending) {
      if (now - command.firstAt > GIVE_UP_MS) {
        this.pending.delete(id);
        command.resolve({type: "reject", id, code: "timeout", reason: "no answer"});
        this.notice(t("the control room did not answer — press again if needed"));
        this.changed();
      } else if (!command.resent && now - command.sentAt > RESEND_MS && this.connection === "live") {
        // The same id again: the server answers it once and carries it out at most once.
        command.resent = true;
        command.sentAt = now;
        this.send({type: "command", id, name: command.name, args: command.args});
      }
    }
  }

  send(message) {
    if (this.socket && this.socket.readyState === 1) this.socket.send(JSON.stringify(message));
  }

  setConnection(connection) {
    if (connection === this.connection) return;
    this.connection = connection;
    this.changed();
  }

  // ---- frames -------------------------------------------------------------------------------

  receive(frame) {
    switch (frame.type) {
      case "snapshot":
        this.view = frame.state || {};
        this.seq = frame.seq;
        this.sample(frame.server_time);
        this.ready();
        break;
      case "event":
        if (this.view == null || frame.seq <= this.seq) return; // before our snapshot, or seen
        if (frame.seq !== this.seq + 1) {
          this.restart(`gap after seq ${this.seq}`); // cannot happen by the protocol; resume
          return;
        }
        Object.assign(this.view, frame.state || {});
        this.seq = frame.seq;
        this.sample(frame.at); // the event happened no later than now, in server time
        this.rebuild();
        break;
      case "resumed":
        this.sample(frame.server_time);
        this.ready();
        break;
      case "ack":
      case "reject":
        this.sample(frame.server_time);
        this.answer(frame);
        break;
      case "pong":
        this.sample(frame.server_time);
        // Every event before the pong was queued ahead of it: a higher seq means we lost some.
        if (this.seq != null && frame.seq > this.seq) this.restart(`behind: ${this.seq} < ${frame.seq}`);
        break;
      case "error":
        this.notice(t("control room: {reason}", {reason: frame.reason || frame.code}));
        break;
      default:
        break; // a newer server may send more; ignore what we do not know
    }
  }

  ready() {
    this.attempt = 0;
    this.lastClose = null;
    this.connection = "live";
    this.rebuild();
    const now = Date.now();
    for (const [id, command] of this.pending) { // asked before the drop: same id, same answer
      command.sentAt = now;
      this.send({type: "command", id, name: command.name, args: command.args});
    }
  }

  answer(frame) {
    const command = this.pending.get(frame.id);
    if (!command) return;
    this.pending.delete(frame.id);
    if (frame.type === "reject") this.notice(t("not done: {reason}", {reason: reasonOf(frame)}));
    command.resolve(frame);
    this.changed();
  }

  /**
   * The clock offset from a server time seen now. Every such time was stamped before the frame
   * left the server, so `server - now` is never above the true offset: keep the largest of the
   * last few minutes (a late frame only lowers its own sample), so the screen is not a second
   * slow. Old samples expire, so a local clock that is set or drifts is followed.
   */
  sample(serverTime) {
    const server = this.toWall(Date.parse(serverTime));
    if (Number.isNaN(server)) return;
    const now = Date.now();
    this.samples = (this.samples || []).filter((s) => s.at <= now && now - s.at < OFFSET_WINDOW_MS);
    this.samples.push({at: now, offset: server - now});
    this.offset = Math.max(...this.samples.map((s) => s.offset));
  }

  /**
   * The show's clock now (ms): the server's, except in a rehearsal, whose show clock runs
   * `speed` times as fast from its start (`state.show.clock`, docs/protocol.md).
   */
  now() {
    return showTime(Date.now() + this.offset, this.view?.show?.clock);
  }

  /** A time the server stamped (show time) on the server's wall clock, where offsets are kept. */
  toWall(ms) {
    return wallTime(ms, this.view?.show?.clock);
  }

  /** The clock-source state (server-clock ms) from the view, then tell the listeners. */
  rebuild() {
    const view = this.view || {};
    const runsheet = view.runsheet || {};
    const index = runsheet.index ?? null;
    const current = index == null ? null : runsheet.slot?.id ?? null;
    const enteredAt = runsheet.started_at ? Date.parse(runsheet.started_at) : null;
    const starts = Object.values(runsheet.actual || {})
      .map((slot) => Date.parse(slot.started_at)).filter((ms) => !Number.isNaN(ms));
    this.state = {
      showStartedAt: starts.length ? Math.min(...starts) : enteredAt,
      current, index, enteredAt, spent: {}, startedAt: {},
      next: runsheet.next || null,
      status: view.status || null,
      card: view.card || null,
      questions: Array.isArray(view.questions) ? view.questions : [],
    };
    this.changed();
  }

  changed() { this.listeners.forEach((fn) => fn(this.state)); }

  notice(text) { this.noticeListeners.forEach((fn) => fn(text)); }
}
