// The performer's own pay statement on the lobby page: lobby, offer and scene time and scenes completed per UTC day
// in this pool, from GET /api/pay/mine (the same durable time accounting the studio pays from).

import { $ } from './page.js';
import { el } from './messages.js';

function minutes(ms) {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export class MyPay {
  constructor(token) {
    this.token = token;
    $('my-pay-refresh').addEventListener('click', () => this.load());
  }

  async load() {
    try {
      const r = await fetch(`/api/pay/mine?token=${encodeURIComponent(this.token)}`);
      const body = await r.json();
      if (!r.ok) throw new Error(body.message || r.status);
      const rows = body.days.map((d) => el('tr', {}, el('td', {}, d.day), el('td', {}, minutes(d.lobbyMs)),
        el('td', {}, minutes(d.offerMs)), el('td', {}, minutes(d.sceneMs)), el('td', {}, String(d.scenesCompleted))));
      $('my-pay-table').querySelector('tbody').replaceChildren(...rows);
      const t = body.totals[0];
      $('my-pay-status').textContent = t
        ? `In all: ${minutes(t.sceneMs)} in scenes, ${t.scenesCompleted} scenes completed, ${minutes(t.lobbyMs)} waiting.`
        : 'No time recorded yet.';
    } catch (e) {
      $('my-pay-status').textContent = `Your time could not be loaded (${e.message}).`;
    }
  }
}
