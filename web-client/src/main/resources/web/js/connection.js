// One participant's WebSocket to a room: join, resume with lastSeq after a drop (backoff with jitter), client
// message ids (cid) acknowledged by the server and resent after a reconnect, and background time sync.
//
// Events (EventTarget): 'state' {detail: {state, attempt}}, 'welcome' {detail: welcome}, 'message'
// {detail: {msg, raw}} for every server message (room events, signals, acks, errors...), 'fatal'
// {detail: {code, message}} when the server refused us for good (expired link, kicked, locked...).

import { FATAL_CLOSE_CODES } from './messages.js';
import { ROOM_EVENT_TYPES as ROOM_EVENT_TYPE_LIST } from './protocol.js';

/** Room event types: the messages that carry the room's gap-free seq (generated from the server's records). */
export const ROOM_EVENT_TYPES = new Set(ROOM_EVENT_TYPE_LIST);

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10000;
const TIME_SYNC_INTERVAL_MS = 10000;
const TIME_SYNC_BURST = 3;

/** This browser's clock in microseconds since the epoch (sub-millisecond from performance.now()). */
export function nowMicros() {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export class RoomConnection extends EventTarget {
  /**
   * @param {object} opts
   * @param {string} opts.roomId
   * @param {string} opts.token
   * @param {boolean} [opts.timeSync] run the background time sync (performers: their marks need it)
   * @param {number} [opts.initialLastSeq] lastSeq for the first connect (-1: start from now; 0: whole history)
   */
  constructor({ roomId, token, timeSync = false, initialLastSeq = -1 }) {
    super();
    this.roomId = roomId;
    this.token = token;
    this.timeSync = timeSync;
    this.lastSeq = initialLastSeq;
    this.state = 'idle';
    this.attempt = 0;
    this.me = null;
    /** cid -> message, in sending order: resent after a reconnect until acked. */
    this.unacked = new Map();
    /** Best clock estimate from our own time-sync exchanges: server minus client, in µs. */
    this.offsetUs = null;
    this.rttUs = null;
    this.socket = null;
    this.stopped = false;
    this.cidCounter = 0;
    this.cidPrefix = Math.random().toString(36).slice(2, 8);
    this.lastError = null;
    this.syncTimer = null;
    this.retryTimer = null;
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/ws/rooms/${encodeURIComponent(this.roomId)}`
      + `?token=${encodeURIComponent(this.token)}&lastSeq=${this.lastSeq}`;
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
    switch (msg.type) {
      case 'welcome':
        this.onWelcome(msg);
        break;
      case 'ack':
        this.unacked.delete(msg.cid);
        break;
      case 'error':
        if (msg.cid) this.unacked.delete(msg.cid); // refused: resending would be refused again
        this.lastError = msg;
        break;
      case 'time_sync':
        this.onTimeSyncReply(msg);
        break;
      default:
        if (ROOM_EVENT_TYPES.has(msg.type)) {
          if (typeof msg.seq === 'number' && msg.seq <= this.lastSeq) return; // already seen
          if (typeof msg.seq === 'number') this.lastSeq = msg.seq;
        }
    }
    this.dispatchEvent(new CustomEvent('message', { detail: { msg, raw } }));
  }

  onWelcome(welcome) {
    this.me = welcome.you;
    if (welcome.replayFrom == null) {
      this.lastSeq = welcome.seq; // nothing will be replayed: the welcome's state is current up to its seq
    }
    this.attempt = 0;
    this.setState('connected');
    this.dispatchEvent(new CustomEvent('welcome', { detail: welcome }));
    for (const m of this.unacked.values()) {
      this.socket.send(JSON.stringify(m));
    }
    if (this.timeSync) this.startTimeSync();
  }

  onClose(ws, e) {
    if (ws !== this.socket) return;
    this.socket = null;
    this.stopTimeSync();
    const fatalCode = FATAL_CLOSE_CODES[e.code]
      || (this.lastError && FATAL_CLOSE_CODES[closeCodeOf(this.lastError.code)] ? this.lastError.code : null);
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

  /** Tries again at once (e.g. after the moderator unlocked the room). */
  retryNow() {
    clearTimeout(this.retryTimer);
    this.stopped = false;
    if (!this.socket) this.open();
  }

  /**
   * Sends a message. With reliable (the default for room-changing messages) it gets a cid and is resent after
   * a reconnect until the server acks it. Unreliable messages are dropped while disconnected.
   */
  send(message, { reliable = true } = {}) {
    const m = { ...message };
    if (reliable) {
      m.cid = m.cid || `${this.cidPrefix}-${++this.cidCounter}`;
      this.unacked.set(m.cid, m);
    }
    if (this.socket && this.state === 'connected') {
      this.socket.send(JSON.stringify(m));
    }
    return m.cid;
  }

  /** Leaves the room for good (no resume). */
  leave() {
    this.stopped = true;
    if (this.socket && this.state === 'connected') this.socket.send(JSON.stringify({ type: 'leave' }));
    else this.close();
  }

  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopTimeSync();
    if (this.socket) this.socket.close(1000, 'page closed');
  }

  /** Test and diagnostics hook: drop the socket as if the network failed; the connection comes back by itself. */
  dropSocket() {
    if (this.socket) this.socket.close(4000, 'dropped on purpose');
  }

  startTimeSync() {
    this.stopTimeSync();
    let burst = TIME_SYNC_BURST;
    const tick = () => {
      this.sendTimeSync();
      this.syncTimer = setTimeout(tick, burst-- > 1 ? 300 : TIME_SYNC_INTERVAL_MS);
    };
    tick();
  }

  stopTimeSync() {
    clearTimeout(this.syncTimer);
    this.syncTimer = null;
  }

  sendTimeSync() {
    if (this.socket && this.state === 'connected') {
      this.socket.send(JSON.stringify({ type: 'time_sync', clientTs: nowMicros() }));
    }
  }

  onTimeSyncReply(reply) {
    const clientRecvTs = Math.max(nowMicros(), reply.clientTs);
    const rtt = (clientRecvTs - reply.clientTs) - (reply.serverSendTs - reply.serverRecvTs);
    const offset = Math.round(((reply.serverRecvTs - reply.clientTs) + (reply.serverSendTs - clientRecvTs)) / 2);
    if (rtt >= 0 && (this.rttUs === null || rtt <= this.rttUs * 1.5)) {
      this.offsetUs = offset;
      this.rttUs = rtt;
    }
    if (this.socket && this.state === 'connected') {
      this.socket.send(JSON.stringify({
        type: 'time_sync_report', clientTs: reply.clientTs, serverRecvTs: reply.serverRecvTs,
        serverSendTs: reply.serverSendTs, clientRecvTs,
      }));
    }
  }

  /** Server time now (µs) by our own estimate, or this browser's clock before any time sync. */
  serverNowMicros() {
    return nowMicros() + (this.offsetUs || 0);
  }
}

function closeCodeOf(code) {
  for (const [k, v] of Object.entries(FATAL_CLOSE_CODES)) {
    if (v === code) return Number(k);
  }
  return 0;
}
