// Lobby page of an open call (pool). Performers read and accept the pool's consent text (nothing is sent before
// that), say which languages and tags they play with, queue, accept or decline an offer, and are taken to their
// room by themselves. Moderators see the pool at a glance and get a console link for every room assigned to them.

import { LobbyConnection } from './lobby-connection.js';
import { Page, $ } from './page.js';
import { FATAL_TEXT, LOBBY_LOST_TEXT, el } from './messages.js';
import { MyConsent } from './my-consent.js';
import { MyPay } from './my-pay.js';

const page = new Page({ roles: ['performer', 'moderator'], linkName: 'lobby link', scope: 'pool' });
const { token } = page;
/** What the server said the link is (page.check); null until then. */
let claims = null;
const MAX_LIST = 16;
const MAX_ITEM_CHARS = 40;

const SECTIONS = ['consent', 'declined', 'prefs', 'waiting', 'offer', 'matched', 'pool'];

const state = {
  conn: null,
  me: null,
  /** 'connecting' | 'consent' | 'declined' | 'prefs' | 'queued' | 'offered' | 'matched' | 'pool' | 'fatal' */
  phase: 'connecting',
  consent: null,
  /** The consent version this performer agreed to on this page, or null. */
  agreedVersion: null,
  /** The lobby_join we sent (re-sent after a reconnect while we want to be queued). */
  join: null,
  queue: null,
  queuedSince: null,
  offer: null,
  acceptedOfferId: null,
  matched: null,
  /** server clock minus this browser's clock, in ms (from the welcome), for offer countdowns. */
  offsetMs: 0,
  /** participant id -> display name, from the offers and pool states the server sent (they carry `people`) */
  names: new Map(),
  // moderators
  pool: null,
  myRooms: new Map(),
};

// ---------------------------------------------------------------------------------------------- helpers

function banner(kind, text) {
  page.banner(kind, text);
}

/** A problem that stops the page: says so and hides every step. */
function fail(text) {
  state.phase = 'fatal';
  show(null);
  page.fail(text);
  if (claims && claims.pool) title();
}

/** The tab title: "▶ Partners found" only while an offer is open, so that it never outlives the offer. */
function title() {
  document.title = state.phase === 'offered' ? '▶ Partners found · Improv' : `Improv · ${claims.pool}`;
}

/** Remembers the display names a message carries (`people`). */
function learnNames(people) {
  for (const p of people || []) if (p && p.id && p.name) state.names.set(p.id, p.name);
}

/** A participant's name for people to read; never the id. */
function nameOf(id, fallback = 'someone') {
  if (state.me && id === state.me.id) return 'you';
  return state.names.get(id) || fallback;
}

/** "Ana", "Ana and Ben", "Ana, Ben and Cleo". */
export function listWords(names) {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Shows one section (or none) of the page. */
function show(section) {
  for (const id of SECTIONS) $(id).classList.toggle('hidden', id !== section);
}

/** The performer's own consent and pay panels: shown once they agreed on this page (docs/dataset.md). */
let myConsent = null;
let myPay = null;

function setPhase(phase, section = phase) {
  state.phase = phase;
  show(section);
  title();
  const agreed = claims.role === 'performer' && state.agreedVersion !== null
    && ['prefs', 'queued', 'offered', 'matched'].includes(phase);
  $('my-consent').classList.toggle('hidden', !agreed);
  $('my-pay').classList.toggle('hidden', !agreed);
  if (agreed && !myConsent) {
    myConsent = new MyConsent(token);
    myConsent.load();
    myPay = new MyPay(token);
  }
  if (agreed) myPay.load(); // each step may have added time

}

/** "en, de ,, fr" -> ["en", "de", "fr"], without duplicates. */
export function splitList(text) {
  return [...new Set(String(text || '').split(',').map((s) => s.trim()).filter((s) => s.length > 0))];
}

function serverNowMs() {
  return Date.now() + state.offsetMs;
}

function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function estimateText(ms) {
  if (ms == null || ms < 0) return 'no estimate yet';
  if (ms < 60000) return 'less than a minute';
  const min = Math.round(ms / 60000);
  return `about ${min} minute${min === 1 ? '' : 's'}`;
}

/**
 * The page to go to for a lobby_matched link. The server builds links from its public URL, which is the origin
 * this lobby page was loaded from; if it is not (a proxy or a mis-set --public-url), the same page next to this
 * one is the link that works, since the lobby link itself evidently reached this person.
 */
export function roomHref(url, fallbackPage, roomToken) {
  try {
    const u = new URL(url, location.href);
    if (u.origin === location.origin) return u;
    const page = u.pathname.slice(u.pathname.lastIndexOf('/') + 1) || fallbackPage;
    return new URL(page + u.search, location.href);
  } catch (e) {
    return new URL(`${fallbackPage}?token=${encodeURIComponent(roomToken)}`, location.href);
  }
}

// ---------------------------------------------------------------------------------------------- start

async function init() {
  if (!(await page.check())) {
    state.phase = 'fatal';
    return;
  }
  claims = page.claims;
  $('who').textContent = `${claims.name || ''} · ${claims.role}`;
  $('pool-title').textContent = `Open call: ${claims.pool}`;
  title();
  const conn = new LobbyConnection({ pool: claims.pool, token });
  state.conn = conn;
  page.showConnection(conn, LOBBY_LOST_TEXT);
  conn.addEventListener('welcome', ({ detail }) => onWelcome(detail));
  conn.addEventListener('message', ({ detail }) => onMessage(detail));
  conn.addEventListener('fatal', ({ detail }) => onFatal(detail));
  conn.start();
  setInterval(tick, 250);
}

function onWelcome(w) {
  state.me = w.you;
  state.offsetMs = Math.round(w.serverTs / 1000) - Date.now();
  if (w.you.role === 'moderator') {
    setPhase('pool');
    return;
  }
  const first = !state.consent;
  const changed = !first && state.consent.version !== w.consent.version;
  state.consent = w.consent;
  if (first || changed) showConsent();
  if (first) {
    setPhase('consent');
    return;
  }
  if (changed && state.agreedVersion !== null) {
    // the pool's text changed while we were away: agreeing to the old one is not agreeing to this one
    state.agreedVersion = null;
    state.join = null;
    state.offer = null;
    setPhase('consent');
    banner('info', `The consent text changed (now version ${w.consent.version}). Please read it and agree again to queue.`);
    return;
  }
  if (state.join) state.conn.send(state.join); // after a reconnect: take our place again (kept for a while)
}

function showConsent() {
  const c = state.consent;
  $('consent-text').textContent = c.text;
  $('consent-version').textContent = `Version ${c.version}`;
  $('consent-check-label').textContent = `I have read this text (version ${c.version}) and I agree.`;
  $('consent-check').checked = false;
  $('consent-agree').disabled = true;
}

// ---------------------------------------------------------------------------------------------- performer

$('consent-check').addEventListener('change', () => {
  $('consent-agree').disabled = !$('consent-check').checked;
});

$('consent-agree').addEventListener('click', () => {
  if (!$('consent-check').checked || !state.consent) return;
  state.agreedVersion = state.consent.version;
  banner();
  setPhase('prefs');
  $('languages').focus();
});

$('consent-decline').addEventListener('click', () => {
  state.agreedVersion = null;
  state.join = null;
  banner();
  setPhase('declined');
});

$('consent-again').addEventListener('click', () => {
  showConsent();
  setPhase('consent');
});

/** Reads the form into a lobby_join, or explains what to fix. */
function readPrefs() {
  const languages = splitList($('languages').value);
  const tags = splitList($('tags').value);
  if (languages.length === 0) return { error: 'Name at least one language (for example "en").' };
  if (languages.length > MAX_LIST || tags.length > MAX_LIST) return { error: `At most ${MAX_LIST} languages and ${MAX_LIST} tags.` };
  const long = [...languages, ...tags].find((s) => s.length > MAX_ITEM_CHARS);
  if (long) return { error: `"${long.slice(0, 20)}…" is too long (at most ${MAX_ITEM_CHARS} characters each).` };
  return {
    join: { type: 'lobby_join', languages, tags, wantsTagOverlap: $('tag-overlap').checked, avoid: [],
      consentVersion: state.agreedVersion },
  };
}

$('queue').addEventListener('click', () => {
  if (state.agreedVersion === null) {
    setPhase('consent');
    return;
  }
  const { join, error } = readPrefs();
  $('prefs-error').textContent = error || '';
  if (error) return;
  state.join = join;
  state.queuedSince = Date.now();
  state.queue = null;
  showQueue();
  if (!state.conn.send(join)) banner('warn', LOBBY_LOST_TEXT); // sent again once reconnected
});

$('leave-queue').addEventListener('click', () => {
  state.join = null;
  state.conn.send({ type: 'lobby_leave' });
  setPhase('prefs');
});

$('accept').addEventListener('click', () => {
  if (!state.offer) return;
  state.acceptedOfferId = state.offer.offerId;
  state.conn.send({ type: 'lobby_accept', offerId: state.offer.offerId });
  showOffer();
});

$('decline').addEventListener('click', () => {
  if (!state.offer) return;
  // declining takes this performer out of the queue (the others keep their places); the form stays filled in
  state.conn.send({ type: 'lobby_decline', offerId: state.offer.offerId });
  state.offer = null;
  state.join = null;
  setPhase('prefs');
  banner('info', 'You declined, so you are no longer in the queue. Press "Find partners" when you want to queue again.');
});

function showQueue() {
  setPhase('queued', 'waiting');
  $('position').textContent = state.queue ? String(state.queue.position) : '–';
  $('estimate').textContent = estimateText(state.queue ? state.queue.estimatedWaitMs : -1);
}

function showOffer() {
  const o = state.offer;
  setPhase('offered', 'offer');
  const partners = o.performers.filter((p) => !state.me || p !== state.me.id).map((p) => nameOf(p, 'another performer'));
  $('offer-text').textContent = `Partners found! You and ${listWords(partners)}`
    + `${o.moderator ? `, with ${state.names.has(o.moderator) ? `the moderator ${nameOf(o.moderator)}` : 'a moderator'}` : ''}.`;
  const accepted = state.acceptedOfferId === o.offerId;
  $('accept').disabled = accepted;
  $('decline').disabled = accepted;
  $('offer-status').textContent = accepted ? 'You accepted. Waiting for the others to accept…'
    : 'Accept before the time runs out. Declining, or not answering, takes you out of the queue.';
  tick();
}

function onMatched(m) {
  const moderator = state.me && state.me.role === 'moderator';
  const href = roomHref(m.url, moderator ? 'moderate.html' : 'perform.html', m.token);
  if (moderator) {
    state.myRooms.set(m.roomId, { ...m, href: href.toString() });
    renderPool();
    return;
  }
  // the offer was the click: the stage asks for camera and microphone without a second "Join"
  href.searchParams.set('autojoin', '1');
  state.matched = { ...m, href: href.toString() };
  state.join = null;
  setPhase('matched');
  banner();
  $('room-link').href = state.matched.href;
  state.conn.close();
  location.assign(state.matched.href);
}

function onOfferEnded(m) {
  if (state.offer && state.offer.offerId !== m.offerId) return;
  state.offer = null;
  state.acceptedOfferId = null;
  const why = { declined: 'someone declined', timeout: 'not everyone answered in time', left: 'someone left' }[m.cause]
    || m.cause;
  if (m.requeued) {
    showQueue();
    banner('info', `That match did not happen (${why}). You keep your place in the queue.`);
  } else if (state.phase !== 'prefs') { // after our own Decline the page already says so
    state.join = null;
    setPhase('prefs');
    const what = { timeout: 'You did not answer in time', declined: 'You declined' }[m.cause]
      || 'That match did not happen';
    banner('info', `${what}, so you are no longer in the queue. Press "Find partners" to queue again.`);
  }
}

function onError(e) {
  if (e.code === 'CONSENT_REQUIRED') {
    state.agreedVersion = null;
    state.join = null;
    if (state.consent) showConsent();
    setPhase('consent');
    banner('info', 'The consent text is not the one you agreed to (it may have just changed). Please read it and agree again to queue.');
  } else if (e.code === 'OFFER_UNAVAILABLE') {
    state.offer = null;
    state.acceptedOfferId = null;
    if (state.join) showQueue();
    banner('info', 'That offer is no longer open (it expired or a partner left). You are still waiting for a match.');
  } else if (e.code === 'INVALID_FIELD' || e.code === 'MISSING_FIELD') {
    state.join = null;
    setPhase('prefs');
    $('prefs-error').textContent = e.message || 'Please check the form.';
  } else if (e.code === 'RATE_LIMITED') {
    banner('warn', 'Too many clicks at once. Wait a moment, then try again.');
  } else if (!e.code || !FATAL_TEXT[e.code]) {
    banner('warn', `The server said: ${e.message || e.code}`);
  }
}

// ---------------------------------------------------------------------------------------------- messages

function onMessage(msg) {
  switch (msg.type) {
    case 'lobby_queued':
      state.queue = { position: msg.position, estimatedWaitMs: msg.estimatedWaitMs };
      if (!state.queuedSince) state.queuedSince = Date.now();
      // a queue update while we hold an offer we accepted means the server kept us waiting; otherwise show it
      if (state.phase === 'offered' && state.offer && state.acceptedOfferId === state.offer.offerId) break;
      if (state.join) showQueue();
      break;
    case 'lobby_offer':
      learnNames(msg.people);
      if (state.me && state.me.role === 'moderator') break; // moderators see offers in the pool counts
      state.offer = msg;
      showOffer();
      break;
    case 'lobby_offer_ended':
      if (state.me && state.me.role === 'moderator') break;
      onOfferEnded(msg);
      break;
    case 'lobby_matched':
      onMatched(msg);
      break;
    case 'lobby_left':
      state.join = null;
      state.offer = null;
      if (state.phase !== 'matched' && state.phase !== 'fatal') setPhase('prefs');
      break;
    case 'lobby_state':
      for (const r of msg.rooms || []) learnNames(r.people);
      state.pool = msg;
      renderPool();
      break;
    case 'error':
      onError(msg);
      break;
    default:
  }
}

function onFatal(detail) {
  fail(page.fatalText(detail));
}

function tick() {
  if (state.phase === 'offered' && state.offer) {
    const left = state.offer.expiresAt - serverNowMs();
    const c = $('offer-countdown');
    c.textContent = left > 0 ? `${Math.ceil(left / 1000)} s to answer` : 'Time is up';
    c.classList.toggle('done', left <= 0);
    if (left <= 0 && document.title.startsWith('▶')) document.title = `Improv · ${claims.pool}`;
  }
  if (state.phase === 'queued' && state.queuedSince) $('waited').textContent = duration(Date.now() - state.queuedSince);
}

// ---------------------------------------------------------------------------------------------- moderator

function renderPool() {
  const p = state.pool;
  $('waiting-count').textContent = p ? String(p.waiting) : '0';
  $('offer-count').textContent = p ? String(p.offers) : '0';
  const rooms = p ? p.rooms : [];
  $('room-count').textContent = String(rooms.length);
  $('no-rooms').classList.toggle('hidden', rooms.length > 0);
  $('rooms').classList.toggle('hidden', rooms.length === 0); // an empty table is noise to a screen reader
  $('rooms').querySelector('tbody').replaceChildren(...rooms.map((r) => {
    const mine = state.myRooms.get(r.roomId);
    return el('tr', { dataset: { room: r.roomId } },
      el('td', {}, roomLabel(r.roomId)),
      el('td', {}, r.moderator ? nameOf(r.moderator, 'a moderator') : '—'),
      el('td', { class: 'actions' }, mine ? consoleLink(mine) : ''));
  }));
  const mine = [...state.myRooms.values()];
  $('no-my-rooms').classList.toggle('hidden', mine.length > 0);
  $('my-rooms').replaceChildren(...mine.map((m) => el('li', { dataset: { room: m.roomId } },
    el('span', {}, `${roomLabel(m.roomId)} `), consoleLink(m))));
}

/** A room as people call it: by its performers ("Ana and Ben"). */
function roomLabel(roomId) {
  const r = state.pool && state.pool.rooms.find((x) => x.roomId === roomId);
  return r ? listWords(r.performers.map((p) => nameOf(p, 'a performer'))) : 'A new room';
}

function consoleLink(m) {
  return el('a', { class: 'button-link', href: m.href, target: '_blank', rel: 'noopener',
    'aria-label': `Open the console of ${roomLabel(m.roomId)}`, dataset: { room: m.roomId } }, 'Open room console');
}

// ---------------------------------------------------------------------------------------------- debug hook

page.expose({
  state: () => (state.conn ? state.conn.state : 'idle'),
  phase: () => state.phase,
  me: () => state.me,
  consent: () => state.consent,
  queue: () => state.queue,
  offer: () => state.offer,
  matched: () => state.matched,
  pool: () => state.pool,
  myRooms: () => [...state.myRooms.values()],
  sent: () => (state.conn ? [...state.conn.sentTypes] : []),
  dropSocket: () => state.conn && state.conn.dropSocket(),
});

init();
