// One WebSocket to a pool's lobby (/ws/lobby/{pool}?token=…), on the reconnecting socket of socket.js. Lobby
// messages carry no seq and nothing is replayed: after a reconnect the page says again what it wants (a
// performer re-sends lobby_join), and the server answers with the current queue place or offer.
//
// Events (EventTarget): 'state' {detail: {state, attempt}}, 'welcome' {detail: lobby_welcome}, 'message'
// {detail: msg} for every other server message, 'fatal' {detail: {code, message}} when the server refused us
// for good (expired or wrong link, pool closed, opened elsewhere).

import { ReconnectingSocket } from './socket.js';

export class LobbyConnection extends EventTarget {
  constructor({ pool, token }) {
    super();
    this.pool = pool;
    this.token = token;
    /** Types of the messages sent, in order (for the debug hook: proves what did or did not leave the page). */
    this.sentTypes = [];
    this.socket = new ReconnectingSocket({ url: () => this.url(), welcomeType: 'lobby_welcome' });
    for (const type of ['state', 'fatal']) {
      this.socket.addEventListener(type, (e) => this.dispatchEvent(new CustomEvent(type, { detail: e.detail })));
    }
    this.socket.addEventListener('message', ({ detail: { msg } }) => {
      const type = msg.type === 'lobby_welcome' ? 'welcome' : 'message';
      this.dispatchEvent(new CustomEvent(type, { detail: msg }));
    });
  }

  get state() {
    return this.socket.state;
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/ws/lobby/${encodeURIComponent(this.pool)}?token=${encodeURIComponent(this.token)}`;
  }

  start() {
    this.socket.start();
  }

  /** Sends a message if connected; returns false when it could not be sent (the page re-sends after welcome). */
  send(message) {
    if (!this.socket.send(message)) return false;
    this.sentTypes.push(message.type);
    return true;
  }

  /** Stops for good (the page is leaving for its room). */
  close() {
    this.socket.close();
  }

  /** Test and diagnostics hook: drop the socket as if the network failed; the connection comes back by itself. */
  dropSocket() {
    this.socket.dropSocket();
  }
}
