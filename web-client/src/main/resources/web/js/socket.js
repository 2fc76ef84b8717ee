// One WebSocket that reconnects by itself: backoff with jitter (RECONNECT of protocol.js, the same rules the
// server's ReconnectRules give every client: 0.5 s doubling to 10 s), "connected" only once
// the server's welcome message arrived, and final refusals (the close codes of FATAL_CLOSE_CODES, or an error
// naming one of them just before the close) end it instead of retrying. The room connection (connection.js)
// and the lobby connection (lobby-connection.js) are both built on it.
//
// Events (EventTarget): 'state' {detail: {state, attempt}} with state connecting | connected | reconnecting |
// closed; 'message' {detail: {msg, raw}} for every message parsed from JSON (the welcome included); 'fatal'
// {detail: {code, message}} when the server refused us for good.

import { FATAL_CLOSE_CODES } from './messages.js';
import { RECONNECT } from './protocol.js';

/** The close code that goes with an error code ('KICKED' -> 4408), or 0. */
function closeCodeOf(code) {
  for (const [k, v] of Object.entries(FATAL_CLOSE_CODES)) {
    if (v === code) return Number(k);
  }
  return 0;
}

export class ReconnectingSocket extends EventTarget {
  /**
   * @param {object} opts
   * @param {() => string} opts.url the URL for the next attempt (a room's lastSeq changes between attempts)
   * @param {string} opts.welcomeType the message type that means "joined"
   */
  constructor({ url, welcomeType }) {
    super();
    this.url = url;
    this.welcomeType = welcomeType;
    this.state = 'idle';
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.lastError = null;
    this.retryTimer = null;
  }

  get connected() {
    return !!this.ws && this.state === 'connected' && this.ws.readyState === WebSocket.OPEN;
  }

  start() {
    this.stopped = false;
    this.open();
  }

  setState(state) {
    if (this.state !== state) {
      this.state = state;
      this.dispatchEvent(new CustomEvent('state', { detail: { state, attempt: this.attempt } }));
    }
  }

  open() {
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    this.lastError = null;
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onmessage = (e) => this.onMessage(ws, e.data);
    ws.onclose = (e) => this.onClose(ws, e);
    ws.onerror = () => { /* onclose follows and decides */ };
  }

  onMessage(ws, raw) {
    if (ws !== this.ws) return;
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch (e) {
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    if (msg.type === this.welcomeType) {
      this.attempt = 0;
      this.setState('connected');
    } else if (msg.type === 'error') {
      this.lastError = msg;
    }
    this.dispatchEvent(new CustomEvent('message', { detail: { msg, raw } }));
  }

  onClose(ws, e) {
    if (ws !== this.ws) return;
    this.ws = null;
    const fatalCode = FATAL_CLOSE_CODES[e.code]
      || (this.lastError && closeCodeOf(this.lastError.code) ? this.lastError.code : null);
    if (fatalCode || this.stopped) {
      this.stopped = true;
      this.setState('closed');
      if (fatalCode) {
        const message = this.lastError && this.lastError.code === fatalCode ? this.lastError.message : e.reason;
        this.dispatchEvent(new CustomEvent('fatal', { detail: { code: fatalCode, message } }));
      }
      return;
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    this.attempt++;
    this.setState('reconnecting');
    const ceiling = Math.min(RECONNECT.maxDelayMs,
      RECONNECT.minDelayMs * 2 ** Math.min(this.attempt - 1, RECONNECT.maxDoublings));
    const delay = ceiling / 2 + Math.random() * ceiling / 2;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => { if (!this.stopped) this.open(); }, delay);
  }

  /** Tries again at once (e.g. after the moderator unlocked the room). */
  retryNow() {
    clearTimeout(this.retryTimer);
    this.stopped = false;
    if (!this.ws) this.open();
  }

  /** Sends a message if joined; false when it could not be sent. */
  send(message) {
    if (!this.connected) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** Stops for good. */
  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.ws) this.ws.close(1000, 'page closed');
  }

  /** Test and diagnostics hook: drop the socket as if the network failed; it comes back by itself. */
  dropSocket() {
    if (this.ws) this.ws.close(4000, 'dropped on purpose');
  }
}
