// What every page does the same way: check the join link with the server, the banner for messages to the person,
// the connection pill in the header, and the debug hook on window.improv. One copy here instead of one per page.
//
// Pages never read a token themselves: the server verifies it and says what it is for (GET /api/token-info), so
// the token format and its keys can change without touching a page, and a tampered, expired or retired link is
// refused before the page asks for a camera or opens a socket.

import { FATAL_TEXT, el } from './messages.js';

export const $ = (id) => document.getElementById(id);

const CONNECTION_WORDS = { connecting: 'Connecting…', connected: 'Connected', closed: 'Disconnected' };

export class Page {
  /**
   * @param {object} opts
   * @param {string[]} opts.roles the roles this page is for
   * @param {string} opts.linkName what the person calls their link ("moderator link")
   * @param {'room'|'pool'} [opts.scope] which kind of link (room links carry `room`, lobby links `pool`)
   */
  constructor({ roles, linkName, scope = 'room' }) {
    this.roles = roles;
    this.linkName = linkName;
    this.scope = scope;
    this.fatal = null;
    this.token = new URLSearchParams(window.location.search).get('token');
    /** What the server said the link is: {room|pool, role, pid, name, exp, scopes}; null until check() passed. */
    this.claims = null;
  }

  /**
   * Asks the server what the link is for and checks it fits this page; on a problem says so and resolves false
   * (the page then does nothing more). A network failure offers "Try again", which resolves the same promise.
   */
  async check() {
    if (!this.token) return this.fail(`This page needs your ${this.linkName} (it ends with ?token=…). Open that link again.`);
    const info = await this.tokenInfo();
    if (info.retry) {
      return new Promise((resolve) => this.fail(info.retry, () => { this.clearFatal(); this.check().then(resolve); }));
    }
    if (info.refused) return this.fail(FATAL_TEXT[info.refused.code] || info.refused.message || FATAL_TEXT.TOKEN_INVALID);
    const c = info.claims;
    if (this.scope === 'pool' ? !c.pool : !c.room) return this.fail('This link is for another page. Open the link you were sent as it is.');
    if (!this.roles.includes(c.role)) return this.fail(`This link is not a ${this.linkName}. Open the link you were sent as it is.`);
    this.claims = c;
    return true;
  }

  /** {claims} when the server accepts the token, {refused: {code, message}} when it does not, {retry: text} when it cannot be asked. */
  async tokenInfo() {
    let res;
    try {
      res = await fetch(`/api/token-info?token=${encodeURIComponent(this.token)}`, { cache: 'no-store' });
    } catch (e) {
      return { retry: 'The server cannot be reached to check your link. Check your connection, then press "Try again".' };
    }
    const body = await res.json().catch(() => null);
    if (res.ok && body) {
      return { claims: { room: body.room, pool: body.pool, role: body.role, pid: body.participant, name: body.name,
        exp: body.expiresAt, scopes: body.scopes || [] } };
    }
    if (body && body.code && res.status < 500) return { refused: body };
    return { retry: `The server could not check your link (HTTP ${res.status}). Press "Try again" in a moment.` };
  }

  /** The banner under the header: kind error | warn | info, text (and more nodes); no text hides it. */
  banner(kind, text, ...more) {
    const b = $('banner');
    if (!text) {
      b.className = 'banner hidden';
      b.replaceChildren();
      return;
    }
    b.className = `banner ${kind}`;
    b.replaceChildren(text, ...more);
  }

  /** A problem the person must act on; stays until the page clears it. Returns false. */
  fail(text, retry) {
    this.fatal = text;
    this.banner('error', text, ...(retry ? [' ', el('button', { onclick: retry, id: 'retry' }, 'Try again')] : []));
    return false;
  }

  clearFatal() {
    this.fatal = null;
    this.banner();
  }

  /** A sentence for a final refusal from the server. */
  fatalText({ code, message }) {
    return FATAL_TEXT[code] || `The server closed the connection: ${message || code}. Reload the page to try again.`;
  }

  /**
   * Keeps the header's connection pill (#conn-state) true to a connection, and shows lostText in the banner
   * while it reconnects (unless a problem is shown). onChange(state) runs after each change.
   */
  showConnection(conn, lostText, onChange = () => {}) {
    conn.addEventListener('state', ({ detail: { state, attempt } }) => {
      const pill = $('conn-state');
      pill.className = `pill ${state}`;
      pill.textContent = state === 'reconnecting' ? `Reconnecting… (${attempt})` : CONNECTION_WORDS[state] || state;
      if (!this.fatal) {
        if (state === 'reconnecting') this.banner('warn', lostText);
        else if (state === 'connected' && $('banner').classList.contains('warn')) this.banner();
      }
      onChange(state);
    });
  }

  /** The debug hook for tests and diagnostics (docs/web-client.md). */
  expose(hooks) {
    window.improv = { fatal: () => this.fatal, ...hooks };
  }
}
