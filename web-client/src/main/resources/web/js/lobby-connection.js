// One WebSocket to a pool's lobby (/ws/lobby/{pool}?token=…), reconnecting with backoff and jitter after a drop.
// Lobby messages carry no seq and nothing is replayed: after a reconnect the page says again what it wants
// (a performer re-sends lobby_join), and the server answers with the current queue place or offer.
//
// Events (EventTarget): 'state' {detail: {state, attempt}}, 'welcome' {detail: lobby_welcome}, 'message'
// {detail: msg} for every other server message, 'fatal' {detail: {code, message}} when the server refused us
// for good (expired or wrong link, pool closed, opened elsewhere).

import { FATAL_CLOSE_CODES } from './messages.js';

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10000;

export class LobbyConnection extends EventTarget {
  constructor({ pool, token }) {
    super();
    this.pool = pool;
    this.token = token;
    this.state = 'idle';
    this.attempt = 0;
    this.socket = null;
    this.stopped = false;
    this.lastError = null;
    this.retryTimer = null;
    /** Types of the messages sent, in order (for the debug hook: proves what did or did not leave the page). */
    this.sentTypes = [];
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/ws/lobby/${encodeURIComponent(this.pool)}?token=${encodeURIComponent(this.token)}`;
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
    this.socket = ws;
    ws.onmessage = (e) => this.onMessage(ws, e.data);
    ws.onclose = (e) => this.onClose(ws, e);
    ws.onerror = () => { /* onclose follows and decides */ };
  }

  onMessage(ws, raw) {
    if (ws !== this.socket) return;
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch (e) {
      return;
    }
    if (msg.type === 'lobby_welcome') {
      this.attempt = 0;
      this.setState('connected');
      this.dispatchEvent(new CustomEvent('welcome', { detail: msg }));
      return;
    }
    if (msg.type === 'error') this.lastError = msg;
    this.dispatchEvent(new CustomEvent('message', { detail: msg }));
  }

  onClose(ws, e) {
    if (ws !== this.socket) return;
    this.socket = null;
    const fatalCode = FATAL_CLOSE_CODES[e.code];
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
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(this.attempt - 1, 6));
    const delay = ceiling / 2 + Math.random() * ceiling / 2;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => { if (!this.stopped) this.open(); }, delay);
  }

  /** Sends a message if connected; returns false when it could not be sent (the page re-sends after welcome). */
  send(message) {
    if (!this.socket || this.state !== 'connected') return false;
    this.socket.send(JSON.stringify(message));
    this.sentTypes.push(message.type);
    return true;
  }

  /** Stops for good (the page is leaving for its room). */
  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.socket) this.socket.close(1000, 'page closed');
  }

  /** Test and diagnostics hook: drop the socket as if the network failed; the connection comes back by itself. */
  dropSocket() {
    if (this.socket) this.socket.close(4000, 'dropped on purpose');
  }
}
