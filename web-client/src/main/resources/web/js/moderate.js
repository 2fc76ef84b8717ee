// Moderator console: every performer's video and sound (receive only), the members with their connection, media
// and mic state and Mute/Kick, the prompt library and free text, scenes, lock, recording state, and the live
// timeline. Joins with lastSeq=0 so the timeline starts with the whole session so far.
//
// Nothing is redrawn wholesale: each member has one row and one tile, made once and then updated field by field
// when something about that member changes, so that buttons stay where they are and keep focus while people
// speak (speaking marks arrive several times a second).

import { RoomConnection, ROOM_EVENT_TYPES } from './connection.js';
import { PeerMesh } from './rtc.js';
import { isMediaRecorder } from './recorder.js';
import { Timeline } from './timeline.js';
import { Page, $ } from './page.js';
import { CONNECTION_LOST_TEXT, LIMITS, refusalText, mediaWords, pairWords, flowing, el, qcText } from './messages.js';

const page = new Page({ roles: ['moderator'], linkName: 'moderator link' });
const state = { conn: null, mesh: null, me: null, roster: new Map(), speaking: new Map(), locked: false,
  sceneActive: false, events: 0, library: [], refusals: [], soundOn: false, media: new Map(),
  /** "from>peer" -> the last media_state of performer `from` about its link to `peer` */
  reports: new Map() };
/** member id -> {row, cells..., buttons} and performer id -> tile: made once, updated in place. */
const rows = new Map();
const tiles = new Map();
/** "a|b" (ids in roster order) -> the pair's list item, made once. */
const pairRows = new Map();
/** The live quality flags of the scene shown: "participant|flag" -> its list item (raised and not cleared). */
const qcItems = new Map();
const quality = { scene: null, active: false, raised: 0 };
const timeline = new Timeline($('timeline'));

async function init() {
  if (!(await page.check())) return;
  const { token, claims } = page;
  loadLibrary();
  $('duration').max = String(LIMITS.promptDurationMs / 1000);
  const conn = new RoomConnection({ roomId: claims.room, token, initialLastSeq: 0 });
  state.conn = conn;
  state.mesh = new PeerMesh({ conn, token, localStream: null });
  state.mesh.addEventListener('peer', (e) => updateTile(e.detail.id));
  state.mesh.addEventListener('track', (e) => updateTile(e.detail.id));
  state.mesh.addEventListener('state', (e) => updateTile(e.detail.id));
  page.showConnection(conn, CONNECTION_LOST_TEXT, () => updateRecording());
  conn.addEventListener('welcome', ({ detail: w }) => onWelcome(w));
  conn.addEventListener('message', ({ detail: { msg } }) => onMessage(msg));
  conn.addEventListener('refused', ({ detail }) => onRefused(detail));
  conn.addEventListener('fatal', ({ detail }) => {
    page.fail(page.fatalText(detail));
    if (detail.code !== 'ROOM_LOCKED') state.mesh.close();
  });
  conn.start();
  setInterval(() => timeline.render(conn.serverNowMicros()), 1000);
  setInterval(pollMedia, 1000);
}

function onWelcome(w) {
  state.me = w.you;
  $('room-title').textContent = `${w.room.name || 'Room'} · moderator`;
  document.title = `Improv · ${w.room.name || 'Room'} · console`;
  const fresh = new Map(w.roster.map((m) => [m.id, { ...m }]));
  for (const id of [...state.roster.keys()]) if (!fresh.has(id)) removeMember(id);
  state.roster = fresh;
  state.reports.clear(); // the performers report again when they see us come back
  for (const m of w.roster) {
    if (m.role === 'performer') timeline.row(m.id, m.name);
    updateMember(m.id);
  }
  updatePairs();
  setLocked(w.room.locked);
  setScene(w.room.sceneActive, w.room.scene, w.room.sceneTitle);
  if (w.room.prompt) showCurrent(w.room.prompt);
  state.mesh.refresh();
  updateRecording();
}

function nameOf(id) {
  const m = state.roster.get(id);
  return m ? m.name : 'someone who left';
}

/** Whom the console receives media from: every connected performer. */
function wanted(m) {
  return m && m.role === 'performer' && m.connected;
}

function onMessage(msg) {
  if (ROOM_EVENT_TYPES.has(msg.type)) {
    state.events++;
    timeline.add(msg, nameOf);
  }
  switch (msg.type) {
    case 'member_joined':
      state.roster.set(msg.member.id, { ...msg.member });
      if (msg.member.role === 'performer') timeline.row(msg.member.id, msg.member.name);
      updateMember(msg.member.id);
      updatePairs();
      break;
    case 'presence': {
      const m = state.roster.get(msg.id);
      if (m) m.connected = msg.connected;
      // what its own page said is stale (it reports again once back); what others say about it stays true
      if (!msg.connected) forgetReports(msg.id, false);
      updateMember(msg.id);
      updatePairs();
      break;
    }
    case 'member_left':
      forgetReports(msg.id);
      removeMember(msg.id);
      updatePairs();
      break;
    case 'media_state':
      if (state.roster.has(msg.from) && state.roster.has(msg.peer)) {
        state.reports.set(`${msg.from}>${msg.peer}`, { state: msg.state, video: msg.video, audio: msg.audio });
        updatePairs();
      }
      break;
    case 'muted': {
      const m = state.roster.get(msg.target);
      if (m) m.muted = msg.muted;
      updateMember(msg.target);
      break;
    }
    case 'mark':
      if (msg.kind === 'speaking_start' || msg.kind === 'speaking_stop') {
        state.speaking.set(msg.actor, msg.kind === 'speaking_start');
        updateSpeaking(msg.actor);
      }
      break;
    case 'room_locked':
      setLocked(msg.locked);
      break;
    case 'scene_started':
      setScene(true, msg.scene, msg.title);
      showQualityOf(msg.scene, true);
      break;
    case 'scene_ended':
      setScene(false, msg.scene);
      if (quality.scene === msg.scene) quality.active = false;
      updateQualitySummary();
      break;
    case 'qc_flag':
      onQcFlag(msg);
      break;
    case 'prompt':
      showCurrent(msg);
      break;
    case 'signal':
      state.mesh.onSignal(msg);
      break;
    case 'error':
      if (!msg.cid && !page.fatal && msg.code !== 'REPLAY_UNAVAILABLE') page.banner('warn', refusalText(msg, null));
      break;
    case 'notice':
      page.banner(msg.level === 'error' ? 'error' : 'warn', msg.message);
      break;
    case 'room_closed':
      // the close code that follows says whether the room ended (4413) or the server is restarting (1001)
      break;
    default:
  }
  if (ROOM_EVENT_TYPES.has(msg.type) && msg.type !== 'mark') timeline.render(state.conn.serverNowMicros());
}

// ---------------------------------------------------------------------------------------------- quality

/** Starts the Quality panel afresh for scene {@code n}. */
function showQualityOf(n, active) {
  quality.scene = n;
  quality.active = active;
  quality.raised = 0;
  for (const item of qcItems.values()) item.remove();
  qcItems.clear();
  updateQualitySummary();
}

/** A live quality flag: shown at once, in words, with the performer's name; a cleared one goes away. */
function onQcFlag(msg) {
  if (quality.scene !== msg.scene) showQualityOf(msg.scene, state.sceneActive);
  const key = `${msg.participant}|${msg.flag}`;
  let item = qcItems.get(key);
  if (msg.raised) {
    if (!item) {
      item = el('li', { class: 'qc-flag', dataset: { participant: msg.participant, flag: msg.flag } });
      qcItems.set(key, item);
      $('quality-flags').append(item);
    }
    setText(item, qcText(msg, nameOf));
    quality.raised++;
  } else if (item) {
    item.remove();
    qcItems.delete(key);
  }
  updateQualitySummary();
}

function updateQualitySummary() {
  if (quality.scene === null) return;
  const now = qcItems.size;
  const head = `Scene ${quality.scene}${quality.active ? '' : ' (ended)'}: `;
  setText($('quality-summary'), now > 0 ? `${head}${now === 1 ? 'one thing' : `${now} things`} to look at.`
    : quality.raised > 0 ? `${head}nothing to look at now (${quality.raised} raised and cleared).`
      : `${head}nothing to report${quality.active ? ' so far' : ''}.`);
}

/** A refused message: say so to the moderator, next to what they did. */
function onRefused({ error, message }) {
  const text = refusalText(error, message, nameOf);
  state.refusals.push({ code: error.code, field: error.field || null, type: message.type, text });
  if (message.type === 'prompt') {
    $('prompt-status').textContent = text;
    $('prompt-status').className = 'error-text';
  }
  if (!page.fatal) page.banner('warn', text);
}

// ---------------------------------------------------------------------------------------------- members

function removeMember(id) {
  state.roster.delete(id);
  state.speaking.delete(id);
  state.mesh.drop(id);
  const r = rows.get(id);
  if (r) r.row.remove();
  rows.delete(id);
  const t = tiles.get(id);
  if (t) t.tile.remove();
  tiles.delete(id);
  $('no-performers').classList.toggle('hidden', tiles.size > 0);
  updateRecording();
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * For the texts that change every second (media words, pair details): one line on the page (app.css), the whole
 * text in the title, so that rows and panels keep their height and no button moves under the moderator's pointer.
 */
function setLine(node, text) {
  setText(node, text);
  if (node.title !== text) node.title = text;
}

/** Makes the member's row once; afterwards only changes what changed. */
function updateMember(id) {
  const m = state.roster.get(id);
  if (!m) return;
  let r = rows.get(id);
  const self = state.me && m.id === state.me.id;
  if (!r) {
    r = { name: el('span', { class: 'member-name' }), speaking: el('span', { class: 'speaking-dot', role: 'img' }),
      role: el('td'), connection: el('span', { class: 'pill' }), media: el('span', { class: 'media-own' }),
      pairs: el('span', { class: 'media-pairs' }), mic: el('td') };
    const actions = el('div', { class: 'buttons' });
    if (!self && m.role === 'performer') {
      r.mute = el('button', { class: 'mute', type: 'button', onclick: () => toggleMute(id) }, 'Mute');
      actions.append(r.mute);
    }
    if (!self && (m.role === 'performer' || m.role === 'observer')) {
      r.kick = el('button', { class: 'kick danger', type: 'button', onclick: () => kick(id) }, 'Kick');
      actions.append(r.kick);
    }
    r.row = el('tr', { dataset: { member: id } }, el('td', {}, r.speaking, r.name), r.role, el('td', {}, r.connection),
      el('td', { class: 'media-words' }, r.media, r.pairs), r.mic, el('td', { class: 'actions' }, actions));
    rows.set(id, r);
    $('roster').tBodies[0].append(r.row);
  }
  setText(r.name, `${m.name}${self ? ' (you)' : ''}${m.connected ? '' : ' (away)'}`);
  setText(r.role, m.role);
  setText(r.connection, m.connected ? 'online' : 'away');
  r.connection.className = `pill ${m.connected ? 'connected' : 'reconnecting'}`;
  setText(r.mic, m.role === 'performer' ? (m.muted ? 'muted' : 'on') : '–');
  if (r.mute) {
    setText(r.mute, m.muted ? 'Unmute' : 'Mute');
    r.mute.setAttribute('aria-label', `${m.muted ? 'Unmute' : 'Mute'} ${m.name}`);
  }
  if (r.kick) r.kick.setAttribute('aria-label', `Kick ${m.name} (remove from the room)`); // starts with what it shows
  updateSpeaking(id);
  if (m.role === 'performer') {
    if (wanted(m)) state.mesh.connectTo(id);
    updateTile(id);
  }
  updateRecording();
}

function updateSpeaking(id) {
  const speaking = !!state.speaking.get(id);
  const m = state.roster.get(id);
  const r = rows.get(id);
  const label = m ? `${m.name} is ${speaking ? 'speaking' : 'silent'}` : '';
  if (r) {
    r.speaking.classList.toggle('on', speaking);
    if (r.speaking.getAttribute('aria-label') !== label) r.speaking.setAttribute('aria-label', label);
  }
  const t = tiles.get(id);
  if (t) t.tile.classList.toggle('speaking', speaking);
}

function toggleMute(id) {
  const m = state.roster.get(id);
  if (m) state.conn.send({ type: 'mute', target: id, muted: !m.muted });
}

function kick(id) {
  const m = state.roster.get(id);
  if (m && window.confirm(`Remove ${m.name} from the room? They cannot come back with their link.`)) {
    state.conn.send({ type: 'kick', target: id, reason: 'removed by the moderator' });
  }
}

// ---------------------------------------------------------------------------------------------- pairs

/** Forgets the reports of performer `id` (and, with about, the others' reports about it). */
function forgetReports(id, about = true) {
  for (const key of [...state.reports.keys()]) {
    const [from, peer] = key.split('>');
    if (from === id || (about && peer === id)) state.reports.delete(key);
  }
}

/** One row per performer pair, in words, from the two pages' own reports; made once, then updated in place. */
function updatePairs() {
  const performers = [...state.roster.values()].filter((m) => m.role === 'performer');
  const seen = new Set();
  for (let i = 0; i < performers.length; i++) {
    for (let j = i + 1; j < performers.length; j++) {
      const [a, b] = [performers[i], performers[j]];
      const key = `${a.id}|${b.id}`;
      seen.add(key);
      let row = pairRows.get(key);
      if (!row) {
        row = { name: el('span', { class: 'pair-name' }), pill: el('span', { class: 'pill' }),
          details: el('span', { class: 'pair-details' }) };
        row.li = el('li', { dataset: { pair: key } }, row.name, row.pill, row.details);
        pairRows.set(key, row);
        $('pairs').append(row.li);
      }
      const words = pairWords(a, b, state.reports.get(`${a.id}>${b.id}`), state.reports.get(`${b.id}>${a.id}`));
      setText(row.name, `${a.name} ↔ ${b.name}`);
      setLine(row.pill, words.text);
      row.pill.className = `pill ${words.kind}`;
      row.li.dataset.kind = words.kind;
      row.short = words.short;
      setLine(row.details, words.details.join(' · '));
    }
  }
  for (const [key, row] of [...pairRows]) {
    if (!seen.has(key)) {
      row.li.remove();
      pairRows.delete(key);
    }
  }
  $('no-pairs').classList.toggle('hidden', pairRows.size > 0);
  for (const m of performers) updatePairCell(m);
}

/** The roster's Media cell of a performer: what the console gets from them, then each of their pairs. */
function updatePairCell(m) {
  const r = rows.get(m.id);
  if (!r) return;
  const lines = [];
  for (const [key, row] of pairRows) {
    const [a, b] = key.split('|');
    if (a !== m.id && b !== m.id) continue;
    const other = state.roster.get(a === m.id ? b : a);
    if (other) lines.push(`with ${other.name}: ${row.short}`);
  }
  setLine(r.pairs, lines.join('; '));
}

// ---------------------------------------------------------------------------------------------- media

function updateTile(id) {
  const m = state.roster.get(id);
  if (!m || m.role !== 'performer') return;
  let t = tiles.get(id);
  if (!t) {
    const video = el('video', { autoplay: true, playsinline: true });
    video.muted = !state.soundOn;
    t = { video, name: el('span', { class: 'name' }), words: el('span', { class: 'state' }) };
    t.tile = el('figure', { class: 'tile', dataset: { peer: id } }, video, t.name, t.words);
    tiles.set(id, t);
    $('performers').append(t.tile);
    $('no-performers').classList.add('hidden');
  }
  const peer = state.mesh.peers.get(id);
  if (peer && t.video.srcObject !== peer.stream) {
    t.video.srcObject = peer.stream;
    t.video.play().catch(() => {});
  }
  setText(t.name, `${m.name}${m.muted ? ' (muted)' : ''}`);
  const words = mediaWords(m, peer, state.media.get(id));
  setText(t.words, words.text);
  t.words.className = `state pill ${words.kind}`;
  const r = rows.get(id);
  if (r) setLine(r.media, words.text);
}

/** Once a second: is media really arriving from each performer (frames decoded, sound received)? */
async function pollMedia() {
  if (!state.mesh) return;
  const stats = await state.mesh.stats().catch(() => []);
  for (const s of stats) {
    state.media.set(s.peer, flowing(state.media.get(s.peer), s));
    updateTile(s.peer);
  }
}

function setSound(on) {
  state.soundOn = on;
  for (const t of tiles.values()) t.video.muted = !on;
  $('sound').setAttribute('aria-pressed', String(on));
  $('sound').textContent = on ? 'Sound on' : 'Sound off';
  if (on) for (const t of tiles.values()) t.video.play().catch(() => {});
}

/** What is recorded: the room's events always (the session log); media when a media recorder is in the room. */
function updateRecording() {
  const recorders = [...state.roster.values()].filter((m) => isMediaRecorder(m) && m.connected);
  const pill = $('recording');
  const text = state.conn && state.conn.state !== 'connected' ? 'Recording: unknown while reconnecting'
    : recorders.length ? '● Recording events, sound and picture' : '● Recording events only (no media recorder)';
  setText(pill, text);
  pill.className = `pill ${recorders.length ? 'recording' : ''}`;
}

// ---------------------------------------------------------------------------------------------- room

function setLocked(locked) {
  state.locked = locked;
  $('lock').setAttribute('aria-pressed', String(locked));
  setText($('lock'), locked ? 'Unlock room' : 'Lock room');
}

function setScene(active, number, title) {
  state.sceneActive = active;
  setText($('scene'), active ? `Scene ${number}${title ? `: ${title}` : ''} — on` : number ? `Scene ${number} ended` : 'No scene yet');
  $('scene').className = `pill${active ? ' connected' : ''}`;
  $('scene-start').disabled = active;
  $('scene-end').disabled = !active;
}

function showCurrent(prompt) {
  setText($('current-prompt'), `Current prompt: “${prompt.text}”${prompt.durationMs ? ` (${Math.round(prompt.durationMs / 1000)} s)` : ''}`);
  if (state.pendingPrompt && state.pendingPrompt === prompt.text) {
    state.pendingPrompt = null;
    $('prompt-status').textContent = 'Pushed to the performers.';
    $('prompt-status').className = 'muted-text';
  }
}

// ---------------------------------------------------------------------------------------------- library

async function loadLibrary() {
  let data = null;
  for (const url of [`/api/prompts?token=${encodeURIComponent(page.token)}`, 'prompts.json']) {
    try {
      const r = await fetch(url, { cache: 'no-store' });
      if (r.ok) {
        data = await r.json();
        if (data && Array.isArray(data.categories)) break;
      }
    } catch (e) { /* next source */ }
    data = null;
  }
  state.library = data ? data.categories : [];
  $('category').replaceChildren(...state.library.map((c, i) => el('option', { value: i }, c.name)));
  showCategory(0);
}

function showCategory(index) {
  const category = state.library[index];
  $('library').replaceChildren(...(category ? category.prompts : []).map((text) => {
    const t = typeof text === 'string' ? text : text.text;
    return el('button', { type: 'button', onclick: () => { $('prompt-text').value = t; $('prompt-text').dataset.category = category.name; } }, t);
  }));
}

/** The duration field in ms, or an error sentence; limits are the server's. */
export function readDuration(value, maxMs = LIMITS.promptDurationMs) {
  const text = String(value).trim();
  if (text === '' || text === '0') return { ms: null };
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) return { error: 'The duration must be a number of seconds.' };
  const ms = Math.round(seconds * 1000);
  if (ms > maxMs) return { error: `The duration can be at most ${maxMs / 1000} seconds (${maxMs / 60000} minutes).` };
  return { ms: ms > 0 ? ms : null };
}

function push() {
  const text = $('prompt-text').value.trim();
  const status = $('prompt-status');
  if (!text) {
    status.textContent = 'Type a prompt or pick one from the library first.';
    status.className = 'error-text';
    return;
  }
  const { ms, error } = readDuration($('duration').value);
  if (error) {
    status.textContent = error;
    status.className = 'error-text';
    $('duration').focus();
    return;
  }
  const message = { type: 'prompt', text };
  if (ms) message.durationMs = ms;
  if ($('prompt-text').dataset.category) message.meta = { category: $('prompt-text').dataset.category };
  state.pendingPrompt = text;
  state.conn.send(message);
  status.textContent = 'Sending…';
  status.className = 'muted-text';
}

$('category').addEventListener('change', (e) => showCategory(Number(e.target.value)));
$('prompt-text').addEventListener('input', () => { delete $('prompt-text').dataset.category; });
$('push').addEventListener('click', push);
$('scene-start').addEventListener('click', () => {
  const title = $('scene-title').value.trim();
  state.conn.send(title ? { type: 'scene_start', title } : { type: 'scene_start' });
});
$('scene-end').addEventListener('click', () => state.conn.send({ type: 'scene_end' }));
$('lock').addEventListener('click', () => state.conn.send({ type: 'lock', locked: !state.locked }));
$('sound').addEventListener('click', () => setSound(!state.soundOn));
$('mute-all').addEventListener('click', () => {
  for (const m of state.roster.values()) {
    if (m.role === 'performer' && !m.muted) state.conn.send({ type: 'mute', target: m.id, muted: true });
  }
});

// ---------------------------------------------------------------------------------------------- local takes

const CONSENT_WORDS = { agreed: 'Agreed', declined: 'Declined: not recorded', null: 'Not answered yet: not recorded' };
const takeRows = new Map();
let takeStatus = null;

/**
 * Per performer: consent and seconds recorded / uploaded / pending of the latest take, and of the camera's recording
 * where the server records it (GET /api/takes/status).
 */
async function pollTakes() {
  try {
    const r = await fetch(`/api/takes/status?token=${encodeURIComponent(page.token)}`);
    if (r.ok) showTakes(await r.json());
  } catch (e) { /* the next poll tries again */ }
  setTimeout(pollTakes, 2000);
}

function showTakes(s) {
  takeStatus = s;
  const body = $('takes').querySelector('tbody');
  for (const p of s.performers) {
    let row = takeRows.get(p.participant);
    if (!row) {
      row = { tr: el('tr', { 'data-performer': p.participant }), cells: [] };
      // each number carries its column's name, shown beside it where the table is a list (phones)
      const labels = [...$('takes').querySelectorAll('thead th')].map((th) => th.textContent);
      for (let i = 0; i < 6; i++) row.cells.push(row.tr.appendChild(el('td', i < 2 ? {} : { 'data-label': labels[i] })));
      body.appendChild(row.tr);
      takeRows.set(p.participant, row);
    }
    const c = row.cells;
    setText(c[0], p.name);
    setText(c[1], CONSENT_WORDS[p.consent] || p.consent);
    setText(c[2], `${p.recordedSeconds.toFixed(1)} s`);
    setText(c[3], `${p.uploadedSeconds.toFixed(1)} s`);
    setText(c[4], p.pendingSeconds > 0.05 ? `${p.pendingSeconds.toFixed(1)} s` : '—');
    // the camera (servers with --take-video): seconds of it stored so far
    setText(c[5], p.videoSeconds != null ? `${p.videoSeconds.toFixed(1)} s` : '—');
  }
  const summary = !s.take ? 'No scene yet: performers who agreed are recorded on their own page from a scene\'s start to its end.'
    : s.state === 'recording' ? `Scene ${s.scene}: recording.`
      : s.state === 'ended' ? `Scene ${s.scene} ended: waiting for chunks still on the performers' pages.`
        : s.complete ? `Scene ${s.scene}: take complete, every chunk arrived.`
          : `Scene ${s.scene}: take incomplete (${s.performers.filter((p) => p.missing.length).map((p) => `${p.name}: chunks ${p.missing.slice(0, 5).join(', ')} missing`).join('; ') || 'a track has no chunk'}).`;
  setText($('take-summary'), summary);
}

page.expose({
  takes: () => takeStatus,
  state: () => (state.conn ? state.conn.state : 'idle'),
  lastSeq: () => (state.conn ? state.conn.lastSeq : null),
  roster: () => [...state.roster.values()],
  timeline: () => timeline.counts(),
  events: () => state.events,
  refusals: () => [...state.refusals],
  unacked: () => (state.conn ? [...state.conn.unacked.keys()] : []),
  sentLog: () => (state.conn ? [...state.conn.sentLog] : []),
  send: (message) => state.conn.send(message),
  stats: () => (state.mesh ? state.mesh.stats() : Promise.resolve([])),
  trace: () => (state.mesh ? [...state.mesh.trace] : []),
  dropSocket: () => state.conn && state.conn.dropSocket(),
  pairs: () => [...pairRows.entries()].map(([key, row]) => ({ key, text: row.pill.textContent,
    kind: row.li.dataset.kind, details: row.details.textContent })),
});

init().then(() => { if (page.claims) pollTakes(); });
