// Performer page (observers use it read-only): camera and microphone, the room's prompt and scene, WebRTC with
// the other performers, "my turn" and speaking marks, and honest error messages.

import { RoomConnection, nowMicros } from './connection.js';
import { PeerMesh } from './rtc.js';
import { RecorderLinks, isMediaRecorder } from './recorder.js';
import { SpeakingDetector } from './speaking.js';
import { tokenFromPage, expired } from './token.js';
import { FATAL_TEXT, CAMERA_TEXT, CONNECTION_LOST_TEXT, mediaWords, el } from './messages.js';

const $ = (id) => document.getElementById(id);
const { token, claims } = tokenFromPage();
const params = new URLSearchParams(location.search);

const state = {
  conn: null, mesh: null, recorders: null, detector: null, stream: null, me: null, roster: new Map(), prompt: null,
  mutedByModerator: false, micOn: true, welcomes: [], myTurn: false, fatal: null, marksSent: { speaking_start: 0, speaking_stop: 0 },
};

function banner(kind, text) {
  const b = $('banner');
  if (!text) {
    b.className = 'banner hidden';
    b.replaceChildren();
    return;
  }
  b.className = `banner ${kind}`;
  b.replaceChildren(text);
}

function fail(text, retry) {
  state.fatal = text;
  banner('error', text);
  if (retry) {
    $('banner').append(' ', el('button', { onclick: retry, id: 'retry' }, 'Try again'));
  }
}

// ---------------------------------------------------------------------------------------------- start

function init() {
  if (!token || !claims) {
    fail('This page needs the personal link you were sent (it ends with ?token=…). Open that link again.');
    return;
  }
  if (claims.role !== 'performer' && claims.role !== 'observer') {
    fail('This link is not for the stage. Open the link you were sent as it is.');
    return;
  }
  if (expired(claims)) {
    fail(FATAL_TEXT.TOKEN_EXPIRED);
    return;
  }
  const observer = claims.role === 'observer';
  $('join-text').textContent = `Hello ${claims.name || ''}! You are about to ${observer ? 'watch the scene' : 'go on stage'}.`;
  if (observer) $('join-button').textContent = 'Watch the room';
  $('join').classList.remove('hidden');
  $('join-button').addEventListener('click', () => join(observer));
  if (params.get('autojoin') === '1') join(observer);
}

async function join(observer) {
  $('join-button').disabled = true;
  banner();
  if (!observer) {
    if (!navigator.mediaDevices || !window.isSecureContext) {
      $('join-button').disabled = false;
      fail(CAMERA_TEXT.SecurityError);
      return;
    }
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 } },
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch (e) {
      $('join-button').disabled = false;
      fail(CAMERA_TEXT[e.name] || `The camera or microphone could not be opened (${e.name}). Reload the page to try again.`);
      return;
    }
  }
  $('join').classList.add('hidden');
  $('stage').classList.remove('hidden');
  if (observer) $('controls').classList.add('hidden');
  if (state.stream) {
    addTile('local', `${claims.name || 'Me'} (you)`, state.stream, true);
    startSpeaking();
  }
  connect(observer);
}

function connect(observer) {
  const conn = new RoomConnection({ roomId: claims.room, token, timeSync: !observer });
  // offerWaitMs=0 (tests, diagnostics) makes both sides of a pair offer at once, the collision the mesh must survive
  const timing = params.has('offerWaitMs') ? { offerWaitMs: Number(params.get('offerWaitMs')) } : {};
  const mesh = new PeerMesh({ conn, token, localStream: state.stream, timing });
  state.conn = conn;
  state.mesh = mesh;
  state.recorders = new RecorderLinks({ conn, localStream: state.stream, iceConfig: () => mesh.iceConfig() });
  conn.addEventListener('state', (e) => showState(e.detail));
  conn.addEventListener('welcome', (e) => onWelcome(e.detail));
  conn.addEventListener('message', (e) => onMessage(e.detail.msg));
  conn.addEventListener('fatal', (e) => onFatal(e.detail));
  mesh.addEventListener('track', (e) => remoteTile(e.detail));
  mesh.addEventListener('peer', (e) => remoteTile(e.detail));
  mesh.addEventListener('state', (e) => remoteTile(e.detail));
  mesh.addEventListener('gone', (e) => removeTile(e.detail.id));
  conn.start();
}

// ---------------------------------------------------------------------------------------------- room

function showState({ state: s, attempt }) {
  const pill = $('conn-state');
  pill.className = `pill ${s}`;
  pill.textContent = { connecting: 'Connecting…', connected: 'Connected', reconnecting: `Reconnecting… (${attempt})`,
    closed: 'Disconnected' }[s] || s;
  if (s === 'reconnecting' && !state.fatal) banner('warn', CONNECTION_LOST_TEXT);
  if (s === 'connected' && !state.fatal) banner(state.mutedByModerator ? 'info' : null,
    state.mutedByModerator ? 'The moderator muted your microphone.' : null);
}

/**
 * Whom we exchange media with: performers see performers; performers also send to observers and moderators
 * (who only receive); observers see performers.
 */
function wanted(member) {
  if (!state.me || member.id === state.me.id || !member.connected) return false;
  return member.role === 'performer'
    || (state.me.role === 'performer' && (member.role === 'observer' || member.role === 'moderator'));
}

function onWelcome(w) {
  state.me = w.you;
  state.welcomes.push({ resumed: w.resumed, replayFrom: w.replayFrom ?? null, seq: w.seq });
  $('room-title').textContent = w.room.name || 'Improv stage';
  state.roster = new Map(w.roster.map((m) => [m.id, m]));
  showScene(w.room.sceneActive, w.room.scene, w.room.sceneTitle);
  $('locked').classList.toggle('hidden', !w.room.locked);
  if (!state.offsetFromWelcome) state.offsetFromWelcome = w.serverTs - nowMicros();
  if (w.room.prompt && (!state.prompt || w.room.prompt.seq > state.prompt.seq)) showPrompt(w.room.prompt);
  applyMute(!!w.you.muted);
  for (const m of state.roster.values()) {
    if (wanted(m)) state.mesh.connectTo(m.id);
  }
  state.mesh.refresh();
  // every welcome (first join and each reconnect) starts a fresh stream to each connected media recorder
  for (const m of state.roster.values()) {
    if (recording(m)) state.recorders.connect(m.id);
  }
}

/** A media recorder we should send our microphone to (performers only; observers have no microphone). */
function recording(member) {
  return isMediaRecorder(member) && member.connected && state.me && state.me.role === 'performer' && !!state.stream;
}

function onMessage(msg) {
  switch (msg.type) {
    case 'member_joined':
      state.roster.set(msg.member.id, msg.member);
      if (wanted(msg.member)) state.mesh.connectTo(msg.member.id);
      if (recording(msg.member)) state.recorders.connect(msg.member.id);
      break;
    case 'presence': {
      const m = state.roster.get(msg.id);
      if (m) {
        m.connected = msg.connected;
        if (wanted(m)) state.mesh.connectTo(m.id);
        if (isMediaRecorder(m)) {
          if (recording(m)) state.recorders.connect(m.id); // the recorder restarted: it waits for a new offer
          else state.recorders.drop(m.id);
        }
      }
      break;
    }
    case 'member_left':
      state.roster.delete(msg.id);
      state.mesh.drop(msg.id);
      state.recorders.drop(msg.id);
      break;
    case 'prompt':
      showPrompt(msg);
      break;
    case 'scene_started':
      showScene(true, msg.scene, msg.title);
      break;
    case 'scene_ended':
      showScene(false, msg.scene);
      break;
    case 'muted': {
      const m = state.roster.get(msg.target);
      if (m) m.muted = msg.muted;
      if (state.me && msg.target === state.me.id) applyMute(msg.muted);
      break;
    }
    case 'room_locked':
      $('locked').classList.toggle('hidden', !msg.locked);
      break;
    case 'room_closed':
      // not the end by itself: the close code that follows says whether the room ended (4413) or the server
      // is stopping (1001) and the room may come back; peer-to-peer media stays up meanwhile
      if (!state.fatal) banner('warn', `The server says: ${msg.reason}. Reconnecting when it is back…`);
      break;
    case 'signal':
      // the recorder's signals must never reach the mesh, which would open a performer connection to it
      if (isMediaRecorder(state.roster.get(msg.from))) state.recorders.onSignal(msg);
      else state.mesh.onSignal(msg);
      break;
    default:
  }
  for (const peer of state.mesh.peers.values()) remoteTile(peer);
}

function onFatal({ code, message }) {
  const retry = code === 'ROOM_LOCKED' ? () => { banner(); state.fatal = null; state.conn.retryNow(); } : null;
  fail(FATAL_TEXT[code] || `The server closed the connection: ${message || code}. Reload the page to try again.`, retry);
  if (code === 'ROOM_NOT_FOUND' && state.welcomes.length > 0) { // it ended while we were away: stop the scene
    showScene(false, null);
    state.prompt = null;
  }
  if (['KICKED', 'ROOM_CLOSED', 'REPLACED', 'LEFT', 'ROOM_NOT_FOUND'].includes(code)) {
    state.mesh.close();
    state.recorders.close();
    if (state.detector) state.detector.stop();
    if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
    $('controls').classList.add('hidden');
  }
}

function showScene(active, number, title) {
  const pill = $('scene');
  pill.textContent = active ? `Scene ${number}${title ? `: ${title}` : ''} — on` : number ? `Scene ${number} ended` : 'No scene yet';
  pill.className = `pill${active ? ' connected' : ''}`;
}

// ---------------------------------------------------------------------------------------------- prompt

function serverOffsetUs() {
  return state.conn && state.conn.offsetUs !== null ? state.conn.offsetUs : (state.offsetFromWelcome || 0);
}

function showPrompt(prompt) {
  state.prompt = prompt;
  const p = $('prompt');
  p.textContent = prompt.text;
  p.classList.remove('empty');
  p.dataset.seq = prompt.seq;
  tick();
}

function tick() {
  const c = $('countdown');
  const prompt = state.prompt;
  if (!prompt || !prompt.durationMs) {
    c.textContent = '';
    return;
  }
  const endClientMs = (prompt.ts + prompt.durationMs * 1000 - serverOffsetUs()) / 1000;
  const left = Math.max(0, Math.ceil((endClientMs - Date.now()) / 1000));
  c.textContent = left > 0 ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}` : 'Time!';
  c.classList.toggle('done', left === 0);
}
setInterval(tick, 250);

// ---------------------------------------------------------------------------------------------- media

function addTile(id, name, stream, mirrorMuted) {
  let tile = document.querySelector(`.tile[data-peer="${CSS.escape(id)}"]`);
  if (!tile) {
    const video = el('video', { autoplay: true, playsinline: true });
    video.muted = !!mirrorMuted;
    tile = el('div', { class: 'tile', dataset: { peer: id } }, video, el('span', { class: 'name' }, name),
      el('span', { class: 'state pill' }));
    $('videos').append(tile);
  }
  const video = tile.querySelector('video');
  if (video.srcObject !== stream) {
    video.srcObject = stream;
    video.play().catch(() => {});
  }
  const label = tile.querySelector('.name');
  if (label.textContent !== name) label.textContent = name;
  return tile;
}

function remoteTile(peer) {
  if (state.mesh.peers.get(peer.id) !== peer) return;
  const member = state.roster.get(peer.id);
  if (!member || member.role !== 'performer') return; // observers and moderators only receive: nothing to show
  const tile = addTile(peer.id, `${member.name}${member.muted ? ' (muted)' : ''}`, peer.stream, false);
  const s = tile.querySelector('.state');
  const words = mediaWords(member, peer, null);
  if (s.textContent !== words.text) s.textContent = words.text;
  s.className = `state pill ${words.kind}`;
}

function removeTile(id) {
  const tile = document.querySelector(`.tile[data-peer="${CSS.escape(id)}"]`);
  if (tile) tile.remove();
}

function micTracks() {
  return state.stream ? state.stream.getAudioTracks() : [];
}

function applyMute(muted) {
  state.mutedByModerator = muted;
  const on = state.micOn && !muted;
  micTracks().forEach((t) => { t.enabled = on; });
  if (state.detector) state.detector.setEnabled(on);
  $('mic').disabled = muted;
  $('mic').textContent = muted ? 'Muted by the moderator' : state.micOn ? 'Microphone on' : 'Microphone off';
  if (!state.fatal) banner(muted ? 'info' : null, muted ? 'The moderator muted your microphone.' : null);
}

$('mic').addEventListener('click', () => {
  state.micOn = !state.micOn;
  applyMute(state.mutedByModerator);
});

$('turn').addEventListener('click', () => {
  state.myTurn = !state.myTurn;
  $('turn').setAttribute('aria-pressed', String(state.myTurn));
  $('turn').textContent = state.myTurn ? 'My turn — end it' : 'My turn';
  sendMark(state.myTurn ? 'turn_start' : 'turn_end', nowMicros());
});

$('leave').addEventListener('click', () => {
  if (state.conn) state.conn.leave();
});

function sendMark(kind, clientTs) {
  if (!state.conn || !state.me || state.me.role !== 'performer') return;
  state.conn.send({ type: 'mark', kind, clientTs });
  if (kind in state.marksSent) state.marksSent[kind]++;
}

async function startSpeaking() {
  const threshold = Number(params.get('vadThreshold')) || undefined;
  state.detector = new SpeakingDetector(state.stream, (speaking, at) => {
    $('speaking').textContent = speaking ? 'Speaking' : 'Silent';
    $('speaking').className = `pill${speaking ? ' connected' : ''}`;
    const local = document.querySelector('.tile[data-peer="local"]');
    if (local) local.classList.toggle('speaking', speaking);
    sendMark(speaking ? 'speaking_start' : 'speaking_stop', at);
  }, { threshold });
  try {
    await state.detector.start();
  } catch (e) {
    console.warn('speaking detection unavailable', e);
  }
  setInterval(() => {
    $('meter').style.width = `${Math.min(100, Math.round((state.detector.level || 0) * 400))}%`;
  }, 100);
}

// ---------------------------------------------------------------------------------------------- debug hook

window.improv = {
  state: () => (state.conn ? state.conn.state : 'idle'),
  me: () => state.me,
  roster: () => [...state.roster.values()],
  prompt: () => (state.prompt ? state.prompt.text : null),
  fatal: () => state.fatal,
  stats: () => (state.mesh ? state.mesh.stats() : Promise.resolve([])),
  recorderStats: () => (state.recorders ? state.recorders.stats() : Promise.resolve([])),
  dropSocket: () => state.conn && state.conn.dropSocket(),
  marksSent: () => ({ ...state.marksSent }),
  welcomes: () => [...state.welcomes],
  trace: () => (state.mesh ? [...state.mesh.trace] : []),
  level: () => (state.detector ? state.detector.level : null),
  audioState: () => (state.detector && state.detector.context ? state.detector.context.state : null),
};

init();
