// The performer's own consent on the lobby page: what they agreed to (the pool's consent version, its text and
// scopes) and their withdrawals, from GET /api/consent/mine; a withdrawal is two clicks (withdraw, then confirm)
// and goes to POST /api/consent/mine/withdrawals, which answers only once it is on the disk.

import { $ } from './page.js';
import { el } from './messages.js';

const SCOPE_NAMES = {
  training: 'training AI models',
  synthetic_voice: 'a synthetic voice of me',
  commercial_use: 'commercial use',
};

export class MyConsent {
  constructor(token) {
    this.token = token;
    this.data = null;
    this.confirming = false;
    $('my-consent-withdraw').addEventListener('click', () => this.withdraw());
  }

  url(path) {
    return `${path}?token=${encodeURIComponent(this.token)}`;
  }

  async load() {
    try {
      const r = await fetch(this.url('/api/consent/mine'));
      if (!r.ok) throw new Error((await r.json()).message || r.status);
      this.data = await r.json();
      this.render();
    } catch (e) {
      $('my-consent-summary').textContent = `Your consent could not be loaded (${e.message}).`;
    }
  }

  selected() {
    return [...document.querySelectorAll('#my-consent-scopes input:checked')].map((i) => i.value);
  }

  render() {
    const d = this.data;
    const t = d.text;
    const withdrawn = new Set(d.withdrawals.flatMap((w) => w.scopes));
    $('my-consent-summary').textContent = t
      ? `Version ${t.version} of this open call's consent. It allows: ${t.scopes.map((s) => SCOPE_NAMES[s] || s).join(', ') || 'nothing beyond the session'}.`
      : `Version ${d.consentVersion ?? '–'} of this open call's consent (its uses are not registered yet).`;
    $('my-consent-text').textContent = t ? t.text : '';
    const list = $('my-consent-withdrawals');
    list.replaceChildren(...d.withdrawals.map((w) => el('li', {},
      `Withdrawn ${new Date(w.at).toLocaleString()}: ${w.scopes.map((s) => SCOPE_NAMES[s] || s).join(', ')}`)));
    const box = $('my-consent-scopes');
    box.querySelectorAll('label').forEach((l) => l.remove());
    for (const s of (t ? t.scopes : Object.keys(SCOPE_NAMES))) {
      if (withdrawn.has(s)) continue;
      const input = el('input', { type: 'checkbox', value: s, id: `withdraw-${s}` });
      input.addEventListener('change', () => this.update());
      box.append(el('label', { class: 'check', for: `withdraw-${s}` }, input, ` ${SCOPE_NAMES[s] || s}`));
    }
    this.update();
  }

  update() {
    this.confirming = false;
    $('my-consent-withdraw').textContent = 'Withdraw';
    $('my-consent-withdraw').disabled = this.selected().length === 0;
  }

  async withdraw() {
    const scopes = this.selected();
    if (scopes.length === 0) return;
    if (!this.confirming) {
      this.confirming = true;
      $('my-consent-withdraw').textContent = 'Press again to confirm';
      $('my-consent-status').textContent = `You are withdrawing: ${scopes.map((s) => SCOPE_NAMES[s] || s).join(', ')}.`;
      return;
    }
    $('my-consent-withdraw').disabled = true;
    try {
      const r = await fetch(this.url('/api/consent/mine/withdrawals'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ scopes, reason: $('my-consent-reason').value || null }),
      });
      const body = await r.json();
      if (!r.ok) throw new Error(body.message || r.status);
      $('my-consent-status').textContent = `Withdrawn and recorded (withdrawal ${body.number}).`;
      $('my-consent-reason').value = '';
      await this.load();
    } catch (e) {
      $('my-consent-status').textContent = `Not withdrawn: ${e.message}`;
      this.update();
    }
  }
}
