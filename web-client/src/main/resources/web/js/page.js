// What every page does the same way: read and check the join link, the banner for messages to the person, the
// connection pill in the header, and the debug hook on window.improv. One copy here instead of one per page.

import { tokenFromPage, expired } from './token.js';
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
    const { token, claims } = tokenFromPage();
    this.token = token;
    this.claims = claims;
  }

  /** Checks the link; on a problem says so and returns false (the page then does nothing more). */
  check() {
    const c = this.claims;
    if (!this.token || !c) return this.fail(`This page needs your ${this.linkName} (it ends with ?token=…). Open that link again.`);
    if (this.scope === 'pool' ? !c.pool : !c.room) return this.fail('This link is for another page. Open the link you were sent as it is.');
    if (!this.roles.includes(c.role)) return this.fail(`This link is not a ${this.linkName}. Open the link you were sent as it is.`);
    if (expired(c)) return this.fail(FATAL_TEXT.TOKEN_EXPIRED);
    return true;
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
