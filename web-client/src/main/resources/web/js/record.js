// Recorder view: the room's event stream as a table a person can read on a laptop or a phone, filtered by event
// type, by performer and by a search, with a pause; and the received lines saved as JSONL on demand. The server
// replays the whole session to recorders on their first connect, and whatever was missed on resume.
//
// Filters, search and pause change only what is shown: every line received is kept, in order, for the download.
// Paused, new events are held back (counted in the Pause button and a note) and shown on Resume. Rows are made
// once per event and reused when a filter changes, so typing in the search does not rebuild them.

import { RoomConnection, ROOM_EVENT_TYPES } from './connection.js';
import { isMediaRecorder } from './recorder.js';
import { Page, $ } from './page.js';
import { CONNECTION_LOST_TEXT, clockText, el, qcText } from './messages.js';

const page = new Page({ roles: ['recorder'], linkName: 'recorder link' });

/**
 * The filter groups, in the order of the chips: event types, with marks split into turn and speaking marks
 * (speaking marks are most of a session's events). Types the server adds later get a chip of their own.
 */
const GROUPS = [
  ['member_joined', 'Joined'], ['presence', 'Connection'], ['member_left', 'Left'], ['prompt', 'Prompts'],
  ['scene_started', 'Scene start'], ['scene_ended', 'Scene end'], ['mark:turn', 'Turn marks'],
  ['mark:speaking', 'Speaking marks'], ['muted', 'Mute'], ['room_locked', 'Lock'], ['clock', 'Clock'],
  ['consent', 'Consent'], ['qc_flag', 'Quality'], ['server_restarted', 'Server restart'], ['room_closed', 'Room closed'],
];
const LABELS = new Map(GROUPS);

const state = {
  conn: null,
  /** Every received line, in order: what the download holds. */
  lines: [],
  /** Every event received: {msg, raw, group, people: Set of ids, row (made when first shown), text}. */
  events: [],
  /** Events received while paused, shown on resume. */
  held: [],
  paused: false,
  hidden: new Set(),
  performer: '',
  search: '',
  names: new Map(),
  members: new Map(),
  counts: new Map(),
  sessionId: null,
  shown: 0,
};

function groupOf(msg) {
  if (msg.type === 'mark') return String(msg.kind || '').startsWith('turn') ? 'mark:turn' : 'mark:speaking';
  return msg.type;
}

function labelOf(group) {
  return LABELS.get(group) || group.replace(/_/g, ' ');
}

/** A name for a participant id: the name they joined with, never a bare id when a name is known. */
function nameOf(id) {
  if (id === 'server') return 'Server';
  return state.names.get(id) || `someone (${id})`;
}

function roleWords(member) {
  if (isMediaRecorder(member)) return 'the media recorder';
  return { performer: 'a performer', moderator: 'a moderator', recorder: 'a recorder', observer: 'an observer' }[member.role]
    || member.role;
}

const MARK_WORDS = { turn_start: 'starts a turn', turn_end: 'ends the turn', speaking_start: 'starts speaking',
  speaking_stop: 'stops speaking' };

/** One line of text that says what an event is about, with names. */
export function summary(e, name = nameOf) {
  switch (e.type) {
    case 'member_joined': return `${e.member.name} joined as ${roleWords(e.member)}`;
    case 'presence': return `${name(e.id)} ${e.connected ? 'is back' : 'lost the connection'}`;
    case 'member_left': return `${name(e.id)} left (${e.reason})`;
    case 'prompt': return `“${e.text}”${e.durationMs ? ` for ${Math.round(e.durationMs / 1000)} s` : ''}`;
    case 'mark': return `${name(e.actor)} ${MARK_WORDS[e.kind] || e.kind}${typeof e.serverTs === 'number' ? ` at ${clockText(e.serverTs)} (their clock, corrected)` : ''}`;
    case 'scene_started': return `Scene ${e.scene} started${e.title ? `: ${e.title}` : ''}`;
    case 'scene_ended': return `Scene ${e.scene} ended`;
    case 'muted': return `${name(e.target)} ${e.muted ? 'muted' : 'unmuted'} by ${name(e.actor)}`;
    case 'room_locked': return e.locked ? `Room locked by ${name(e.actor)}` : `Room unlocked by ${name(e.actor)}`;
    case 'clock': return `${name(e.actor)}: clock offset ${(e.offsetUs / 1000).toFixed(1)} ms, round trip ${(e.rttUs / 1000).toFixed(1)} ms`;
    case 'consent': return `${name(e.participant)} consented to recording (version ${e.consentVersion}, open call ${e.pool})`;
    case 'server_restarted': return `The server restarted; nothing was recorded since ${clockText(e.lastEventTs)}`;
    case 'room_closed': return `Room closed (${e.reason})`;
    case 'qc_flag': return qcText(e, name);
    default: return '';
  }
}

/** Who an event is about (for the performer filter): its actor and the ids it names. */
function peopleOf(msg) {
  const ids = new Set();
  for (const id of [msg.actor, msg.id, msg.target, msg.participant, msg.member && msg.member.id]) {
    if (typeof id === 'string') ids.add(id);
  }
  return ids;
}

function remember(member) {
  state.names.set(member.id, member.name);
  state.members.set(member.id, member);
  if (member.role === 'performer' && !$('performer').querySelector(`option[value="${CSS.escape(member.id)}"]`)) {
    $('performer').append(el('option', { value: member.id }, member.name));
  }
}

function row(ev) {
  if (!ev.row) {
    const { msg } = ev;
    ev.row = el('tr', { dataset: { seq: msg.seq, type: msg.type, group: ev.group } },
      el('td', { class: 'seq' }, msg.seq), el('td', { class: 'time' }, clockText(msg.ts)),
      el('td', { class: 'type' }, el('span', { class: `kind kind-${ev.group.replace(':', '-')}` }, labelOf(ev.group))),
      el('td', { class: 'actor' }, nameOf(msg.actor)),
      el('td', { class: 'summary' }, summary(msg)));
    ev.text = ev.row.textContent.toLowerCase();
  }
  return ev.row;
}

/** Events about the whole room stay in view when one performer is picked (their chips hide them). */
const ROOM_WIDE = new Set(['prompt', 'scene_started', 'scene_ended', 'room_locked', 'server_restarted', 'room_closed']);

function visible(ev) {
  if (state.hidden.has(ev.group)) return false;
  if (state.performer && !ev.people.has(state.performer) && !ROOM_WIDE.has(ev.msg.type)) return false;
  if (state.search && !(ev.text ?? row(ev).textContent.toLowerCase()).includes(state.search)) return false;
  return true;
}

function atBottom() {
  const wrap = document.querySelector('.log-wrap');
  return wrap.scrollTop + wrap.clientHeight >= wrap.scrollHeight - 30;
}

function scrollToEnd(follow) {
  if (follow) {
    const wrap = document.querySelector('.log-wrap');
    wrap.scrollTop = wrap.scrollHeight;
  }
}

/** Shows the events that pass the filters (rows reused), in order. */
function render() {
  const follow = atBottom();
  const body = $('log').tBodies[0];
  const rows = [];
  for (const ev of state.events) {
    row(ev);
    if (visible(ev)) rows.push(ev.row);
  }
  body.replaceChildren(...rows);
  state.shown = rows.length;
  scrollToEnd(follow);
  updateCounts();
}

function show(ev) {
  state.events.push(ev);
  row(ev);
  if (visible(ev)) {
    const follow = atBottom();
    $('log').tBodies[0].append(ev.row);
    state.shown++;
    scrollToEnd(follow);
  }
}

function updateCounts() {
  $('count').textContent = `${state.lines.length} events`;
  const total = state.events.length;
  $('shown').textContent = total === 0 ? 'No events yet.'
    : state.shown === total ? `Showing all ${total} events.` : `Showing ${state.shown} of ${total} events.`;
  for (const [group, n] of state.counts) chip(group).querySelector('.n').textContent = String(n);
  const held = state.held.length;
  $('pause').textContent = state.paused ? `Resume${held ? ` (${held} new)` : ''}` : 'Pause';
  $('pause').setAttribute('aria-pressed', String(state.paused));
  $('paused-note').classList.toggle('hidden', !state.paused);
  $('paused-note').textContent = state.paused
    ? `Paused: ${held} new ${held === 1 ? 'event' : 'events'} held back` : '';
}

/** The filter chip of a group, made on first use (a type the server added later gets one too). */
function chip(group) {
  let c = document.querySelector(`#types button[data-group="${CSS.escape(group)}"]`);
  if (!c) {
    c = el('button', { type: 'button', class: 'chip', dataset: { group }, 'aria-pressed': 'true',
      onclick: () => toggle(group) }, el('span', { class: 'label' }, labelOf(group)), ' ', el('span', { class: 'n' }, '0'));
    $('types').append(c);
  }
  return c;
}

function toggle(group) {
  if (state.hidden.has(group)) state.hidden.delete(group);
  else state.hidden.add(group);
  chip(group).setAttribute('aria-pressed', String(!state.hidden.has(group)));
  const n = state.hidden.size;
  $('types-note').textContent = n ? `(${n} hidden)` : '(press one to hide or show it)';
  render();
}

function onEvent(msg, raw) {
  state.lines.push(raw);
  if (msg.type === 'member_joined' && msg.member) remember(msg.member);
  const ev = { msg, raw, group: groupOf(msg), people: peopleOf(msg), row: null, text: null };
  state.counts.set(ev.group, (state.counts.get(ev.group) || 0) + 1);
  chip(ev.group);
  if (state.paused) state.held.push(ev);
  else show(ev);
  updateCounts();
}

function setPaused(paused) {
  state.paused = paused;
  if (!paused) {
    const held = state.held.splice(0);
    const follow = atBottom();
    const rows = [];
    for (const ev of held) {
      state.events.push(ev);
      if (visible(ev)) rows.push(row(ev));
    }
    $('log').tBodies[0].append(...rows);
    state.shown += rows.length;
    scrollToEnd(follow || rows.length > 0);
  }
  updateCounts();
}

function download() {
  const blob = new Blob(state.lines.map((l) => `${l}\n`), { type: 'application/x-ndjson' });
  const a = el('a', { href: URL.createObjectURL(blob),
    download: `room-${page.claims.room}-${state.sessionId || 'session'}.jsonl` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

async function init() {
  for (const [group] of GROUPS) chip(group);
  // on a phone the chips would take half the screen: folded until asked for
  if (window.matchMedia('(max-width: 600px)').matches) $('types-box').open = false;
  $('pause').addEventListener('click', () => setPaused(!state.paused));
  $('download').addEventListener('click', download);
  let searchTimer = null;
  $('search').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      state.search = $('search').value.trim().toLowerCase();
      render();
    }, 150);
  });
  $('performer').addEventListener('change', () => {
    state.performer = $('performer').value;
    render();
  });
  if (!(await page.check())) return;
  const { token, claims } = page;
  const conn = new RoomConnection({ roomId: claims.room, token, initialLastSeq: 0 });
  state.conn = conn;
  page.showConnection(conn, CONNECTION_LOST_TEXT);
  conn.addEventListener('welcome', ({ detail: w }) => {
    $('room-title').textContent = `${w.room.name || 'Room'} · recorder`;
    document.title = `Improv · ${w.room.name || 'Room'} · recorder`;
    state.sessionId = w.room.session;
    for (const m of w.roster) remember(m);
  });
  conn.addEventListener('message', ({ detail: { msg, raw } }) => {
    if (ROOM_EVENT_TYPES.has(msg.type)) onEvent(msg, raw);
    if (msg.type === 'error' && msg.code === 'REPLAY_UNAVAILABLE') page.banner('warn', 'The start of this session is no longer held by the server; the log begins later.');
  });
  conn.addEventListener('fatal', ({ detail }) => page.fail(page.fatalText(detail)));
  conn.start();
}

page.expose({
  state: () => (state.conn ? state.conn.state : 'idle'),
  lines: () => [...state.lines],
  dropSocket: () => state.conn && state.conn.dropSocket(),
  /** What the table shows now: {seq, type, group, actor, summary} per visible row. */
  shown: () => [...$('log').tBodies[0].rows].map((r) => ({ seq: Number(r.dataset.seq), type: r.dataset.type,
    group: r.dataset.group, actor: r.cells[3].textContent, summary: r.cells[4].textContent })),
  paused: () => state.paused,
  held: () => state.held.length,
  counts: () => Object.fromEntries(state.counts),
});

init();
