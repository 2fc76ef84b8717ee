// One participant's WebSocket to a room (on the reconnecting socket of socket.js): join, resume with lastSeq
// after a drop, client message ids (cid) acknowledged by the server and resent after a reconnect until then,
// refusals tied to the message they refuse, and background time sync.
//
// Events (EventTarget): 'state' {detail: {state, attempt}}, 'welcome' {detail: welcome}, 'message'
// {detail: {msg, raw}} for every server message (room events, signals, acks, errors...), 'refused'
// {detail: {error, message}} when the server refused a message we sent (it is not resent), 'fatal'
// {detail: {code, message}} when the server refused us for good (expired link, kicked, locked...).

import { ReconnectingSocket } from './socket.js';
import { ROOM_EVENT_TYPES as ROOM_EVENT_TYPE_LIST } from './protocol.js';

/** Room event types: the messages that carry the room's gap-free seq (generated from the server's records). */
export const ROOM_EVENT_TYPES = new Set(ROOM_EVENT_TYPE_LIST);

const TIME_SYNC_INTERVAL_MS = 10000;
const TIME_SYNC_BURST = 3;
const SENT_LOG_LIMIT = 200;

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
    this.me = null;
    /** cid -> message, in sending order: resent after a reconnect until acked or refused. */
    this.unacked = new Map();
    /** The last messages put on the wire: {type, cid, resend} (debug hook: what left the page, and when again). */
    this.sentLog = [];
    /** Best clock estimate from our own time-sync exchanges: server minus client, in µs. */
    this.offsetUs = null;
    this.rttUs = null;
    this.cidCounter = 0;
    this.cidPrefix = Math.random().toString(36).slice(2, 8);
    this.syncTimer = null;
    this.socket = new ReconnectingSocket({ url: () => this.url(), welcomeType: 'welcome' });
    this.socket.addEventListener('state', (e) => {
      if (e.detail.state !== 'connected') this.stopTimeSync();
      this.dispatchEvent(new CustomEvent('state', { detail: e.detail }));
    });
    this.socket.addEventListener('message', (e) => this.onMessage(e.detail.msg, e.detail.raw));
    this.socket.addEventListener('fatal', (e) => this.dispatchEvent(new CustomEvent('fatal', { detail: e.detail })));
  }

  get state() {
    return this.socket.state;
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/ws/rooms/${encodeURIComponent(this.roomId)}`
      + `?token=${encodeURIComponent(this.token)}&lastSeq=${this.lastSeq}`;
  }

  start() {
    this.socket.start();
  }

  onMessage(msg, raw) {
    switch (msg.type) {
      case 'welcome':
        this.onWelcome(msg);
        break;
      case 'ack':
        this.unacked.delete(msg.cid);
        break;
      case 'error': {
        const refused = msg.cid ? this.unacked.get(msg.cid) : undefined;
        if (msg.cid) this.unacked.delete(msg.cid); // refused: resending would be refused again
        if (refused) this.dispatchEvent(new CustomEvent('refused', { detail: { error: msg, message: refused } }));
        break;
      }
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
    this.dispatchEvent(new CustomEvent('welcome', { detail: welcome }));
    for (const m of this.unacked.values()) this.put(m, true);
    if (this.timeSync) this.startTimeSync();
  }

  put(message, resend = false) {
    if (!this.socket.send(message)) return false;
    if (message.type !== 'signal' && message.type !== 'time_sync' && message.type !== 'time_sync_report') {
      this.sentLog.push({ type: message.type, cid: message.cid || null, resend });
      if (this.sentLog.length > SENT_LOG_LIMIT) this.sentLog.shift();
    }
    return true;
  }

  /** Tries again at once (e.g. after the moderator unlocked the room). */
  retryNow() {
    this.socket.retryNow();
  }

  /**
   * Sends a message. With reliable (the default for room-changing messages) it gets a cid and is resent after
   * a reconnect until the server acks or refuses it. Unreliable messages are dropped while disconnected.
   * Returns the cid.
   */
  send(message, { reliable = true } = {}) {
    const m = { ...message };
    if (reliable) {
      m.cid = m.cid || `${this.cidPrefix}-${++this.cidCounter}`;
      this.unacked.set(m.cid, m);
    }
    this.put(m);
    return m.cid;
  }

  /** Leaves the room for good (no resume). */
  leave() {
    if (!this.socket.send({ type: 'leave' })) this.close();
    this.socket.stopped = true;
  }

  close() {
    this.stopTimeSync();
    this.socket.close();
  }

  /** Test and diagnostics hook: drop the socket as if the network failed; the connection comes back by itself. */
  dropSocket() {
    this.socket.dropSocket();
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
    this.socket.send({ type: 'time_sync', clientTs: nowMicros() });
  }

  onTimeSyncReply(reply) {
    const clientRecvTs = Math.max(nowMicros(), reply.clientTs);
    const rtt = (clientRecvTs - reply.clientTs) - (reply.serverSendTs - reply.serverRecvTs);
    const offset = Math.round(((reply.serverRecvTs - reply.clientTs) + (reply.serverSendTs - clientRecvTs)) / 2);
    if (rtt >= 0 && (this.rttUs === null || rtt <= this.rttUs * 1.5)) {
      this.offsetUs = offset;
      this.rttUs = rtt;
    }
    this.socket.send({
      type: 'time_sync_report', clientTs: reply.clientTs, serverRecvTs: reply.serverRecvTs,
      serverSendTs: reply.serverSendTs, clientRecvTs,
    });
  }

  /** Server time now (µs) by our own estimate, or this browser's clock before any time sync. */
  serverNowMicros() {
    return nowMicros() + (this.offsetUs || 0);
  }
}
