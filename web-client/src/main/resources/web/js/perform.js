// Performer page (observers use it read-only). Steps (window.improv.phase()): "join" (a button, nothing asked
// for yet) → "joining" (the room socket connects) → "check" (only once the room has let us in: camera and
// microphone are asked for, with pickers, a preview, the input level and a network test) → "stage" (the prompt
// with its countdown and a cue when a new one arrives, the partners' pictures, "my turn", speaking marks, the
// media state of each partner, reported to the moderators) → "ended". Observers go from "joining" straight to
// the stage, without camera.

import { RoomConnection, nowMicros } from './connection.js';
import { PeerMesh } from './rtc.js';
import { RecorderLinks, isMediaRecorder } from './recorder.js';
import { SpeakingDetector } from './speaking.js';
import { TakeRecorder } from './take-recorder.js';
import { fetchIceConfig } from './ice.js';
import { Page, $ } from './page.js';
import { CAMERA_TEXT, CONNECTION_LOST_TEXT, mediaWords, linkState, flowing, el } from './messages.js';

const page = new Page({ roles: ['performer', 'observer'], linkName: 'personal stage link' });
const params = new URLSearchParams(location.search);
const VIDEO = { width: { ideal: 640 }, height: { ideal: 480 } };
const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
const CHIME_KEY = 'improv.promptChime';

const state = {
  /** join | joining | check | stage | ended */
  phase: 'join',
  /** set once the server said what the link is (page.check) */
  observer: false,
  conn: null, mesh: null, recorders: null, detector: null, stream: null, me: null, roster: new Map(), prompt: null,
  mutedByModerator: false, micOn: true, welcomes: [], myTurn: false,
  marksSent: { speaking_start: 0, speaking_stop: 0 },
  /** peer id -> last inbound counters and whether picture / sound grew since the poll before */
  media: new Map(),
  /** peer id -> the media_state last sent about it ("state/video/audio"); cleared when a moderator comes */
  reported: new Map(),
  reportsSent: 0,
  /** sender id -> signals that came before we were on stage (from their last offer on), handed to the mesh then */
  early: new Map(),
  network: null,
  cues: [],
  chime: localStorage.getItem(CHIME_KEY) !== 'off',
  audioOut: null,
  /** the local take (docs/recording.md) and the stage consent it needs: null (not asked), agreed, declined */
  takes: null, consent: null, consentVersion: null, cameraBitsPerSecond: null, scene: { active: false, number: 0 },
};

// ---------------------------------------------------------------------------------------------- start

async function init() {
  setChime(state.chime);
  if (!(await page.check())) return;
  state.observer = page.claims.role === 'observer';
  const name = page.claims.name || '';
  $('join-text').textContent = `Hello ${name}! You are about to ${state.observer ? 'watch the scene' : 'go on stage'}.`;
  if (state.observer) {
    $('join-button').textContent = 'Watch the room';
    $('join-help').textContent = 'You watch and listen only: no camera or microphone is used.';
  }
  $('join').classList.remove('hidden');
  $('join-button').addEventListener('click', join);
  $('consent-agree').addEventListener('click', () => answerConsent(true));
  $('consent-decline').addEventListener('click', () => answerConsent(false));
  window.addEventListener('beforeunload', warnIfPending);
  if (!state.observer) startTakes();
  if (params.get('autojoin') === '1') join(); // from the lobby: accepting the offer was the click
}

function show(section) {
  for (const id of ['join', 'check', 'stage']) $(id).classList.toggle('hidden', id !== section);
}

function join() {
  $('join-button').disabled = true;
  page.clearFatal();
  state.phase = 'joining';
  if (!state.conn) connect();
  else state.conn.retryNow();
}

function connect() {
  const conn = new RoomConnection({ roomId: page.claims.room, token: page.token, timeSync: !state.observer });
  state.conn = conn;
  page.showConnection(conn, CONNECTION_LOST_TEXT, (s) => {
    if (s === 'connected' && !page.fatal && state.mutedByModerator) page.banner('info', 'The moderator muted your microphone.');
  });
  conn.addEventListener('welcome', (e) => onWelcome(e.detail));
  conn.addEventListener('message', (e) => onMessage(e.detail.msg));
  conn.addEventListener('fatal', (e) => onFatal(e.detail));
  conn.start();
}

// ---------------------------------------------------------------------------------------------- pre-join check

/** Runs only after the room accepted the join: asks for camera and microphone, and shows what they give. */
async function startCheck() {
  state.phase = 'check';
  show('check');
  $('go').disabled = true;
  if (!navigator.mediaDevices || !window.isSecureContext) {
    page.fail(CAMERA_TEXT.SecurityError);
    return;
  }
  try {
    const asked = nowMicros();
    state.stream = await navigator.mediaDevices.getUserMedia({ video: VIDEO, audio: AUDIO });
    state.devicesOpened = [asked, nowMicros()]; // diagnostics: when the devices started, on this page's clock
  } catch (e) {
    page.fail(CAMERA_TEXT[e.name] || `The camera or microphone could not be opened (${e.name}). Reload the page to try again.`,
      () => { page.clearFatal(); startCheck(); });
    return;
  }
  if (state.phase !== 'check') { // the room ended or refused us meanwhile
    releaseDevices();
    return;
  }
  showPreview();
  loadConsent();
  await listDevices();
  await startDetector();
  $('go').disabled = false;
  $('go').focus();
  testNetwork();
}

function showPreview() {
  const v = $('preview');
  v.srcObject = state.stream;
  v.play().catch(() => {});
}

async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
  for (const [kind, id] of [['videoinput', 'camera'], ['audioinput', 'microphone']]) {
    const track = kind === 'videoinput' ? state.stream.getVideoTracks()[0] : state.stream.getAudioTracks()[0];
    const current = track && track.getSettings().deviceId;
    const options = devices.filter((d) => d.kind === kind).map((d, i) => el('option', { value: d.deviceId },
      d.label || `${kind === 'videoinput' ? 'Camera' : 'Microphone'} ${i + 1}`));
    $(id).replaceChildren(...options);
    if (current) $(id).value = current;
  }
}

/** Another camera or microphone from the pickers: the new track replaces the old one in the same stream. */
async function switchDevice(kind, deviceId) {
  if (!state.stream || !deviceId) return;
  const constraints = kind === 'video' ? { video: { ...VIDEO, deviceId: { exact: deviceId } } }
    : { audio: { ...AUDIO, deviceId: { exact: deviceId } } };
  let fresh;
  try {
    fresh = await navigator.mediaDevices.getUserMedia(constraints);
  } catch (e) {
    $('check-status').textContent = `That ${kind === 'video' ? 'camera' : 'microphone'} could not be opened (${e.name}).`;
    return;
  }
  const track = fresh.getTracks()[0];
  for (const old of kind === 'video' ? state.stream.getVideoTracks() : state.stream.getAudioTracks()) {
    state.stream.removeTrack(old);
    old.stop();
  }
  state.stream.addTrack(track);
  $('check-status').textContent = '';
  showPreview();
  if (kind === 'audio') await startDetector();
}

$('camera').addEventListener('change', (e) => switchDevice('video', e.target.value));
$('microphone').addEventListener('change', (e) => switchDevice('audio', e.target.value));

/**
 * The network test: the round trip to the server (from the time sync the connection runs anyway) and whether
 * peer-to-peer candidates can be gathered with the studio's ICE servers (a relay candidate proves the TURN server
 * answers).
 */
async function testNetwork() {
  const out = $('network');
  out.textContent = 'Testing…';
  const ice = await fetchIceConfig(page.token);
  const types = new Set();
  let pc;
  try {
    pc = new RTCPeerConnection({ iceServers: ice.iceServers, iceTransportPolicy: ice.iceTransportPolicy });
    pc.createDataChannel('network-test');
    const done = new Promise((resolve) => {
      pc.onicecandidate = ({ candidate }) => {
        if (!candidate) resolve();
        else if (candidate.type) types.add(candidate.type);
      };
      setTimeout(resolve, 5000);
    });
    await pc.setLocalDescription(await pc.createOffer());
    await done;
  } catch (e) {
    types.clear();
  } finally {
    if (pc) pc.close();
  }
  const rttMs = await serverRoundTripMs();
  const turn = ice.iceServers.some((s) => [].concat(s.urls || []).some((u) => String(u).startsWith('turn')));
  const peer = types.has('relay') ? 'the relay server answers, so partners can reach you from any network'
    : ice.iceTransportPolicy === 'relay' ? null
      : types.has('srflx') ? 'direct connections are possible'
        : types.has('host') ? (turn ? 'direct connections on this network only (the relay server did not answer)'
          : 'direct connections on this network') : null;
  const server = rttMs === null ? 'the server did not answer the timing test' : `server round trip ${rttMs} ms`;
  const good = peer !== null && rttMs !== null && rttMs < 400;
  state.network = { rttMs, candidateTypes: [...types].sort(), relay: types.has('relay'), good };
  out.textContent = peer === null
    ? `Problem: no way to connect to your partners was found (${server}). Try another network, or ask the studio.`
    : `${good ? 'Good' : 'Slow'}: ${server}; ${peer}.`;
  out.className = `hint ${good ? 'ok-text' : 'error-text'}`;
}

/** The connection's measured round trip once its first time-sync rounds are in (performers run them). */
async function serverRoundTripMs() {
  for (let i = 0; i < 20; i++) {
    if (state.conn && state.conn.rttUs !== null) return Math.max(1, Math.round(state.conn.rttUs / 1000));
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

$('go').addEventListener('click', goOnStage);

// ---------------------------------------------------------------------------------------------- stage

function goOnStage() {
  if (state.phase !== 'check' && state.phase !== 'joining') return;
  state.phase = 'stage';
  show('stage');
  $('preview').srcObject = null;
  if (state.observer) $('controls').classList.add('hidden');
  // offerWaitMs=0 (tests, diagnostics) makes both sides of a pair offer at once, the collision the mesh must survive
  const timing = params.has('offerWaitMs') ? { offerWaitMs: Number(params.get('offerWaitMs')) } : {};
  const mesh = new PeerMesh({ conn: state.conn, token: page.token, localStream: state.stream, timing });
  state.mesh = mesh;
  state.recorders = new RecorderLinks({ conn: state.conn, localStream: state.stream, iceConfig: () => mesh.iceConfig() });
  mesh.addEventListener('track', (e) => remoteTile(e.detail));
  mesh.addEventListener('peer', (e) => remoteTile(e.detail));
  mesh.addEventListener('state', (e) => remoteTile(e.detail));
  mesh.addEventListener('gone', (e) => removeTile(e.detail.id));
  if (state.stream) addTile('local', `${page.claims.name || 'Me'} (you)`, state.stream, true);
  applyMute(state.mutedByModerator);
  connectAll();
  syncTake();
  if (state.detector && state.detector.speaking) sendMark('speaking_start', nowMicros()); // already talking
  try {
    if (!state.audioOut) state.audioOut = new AudioContext(); // made during the click, so the chime may play
  } catch (e) { /* no sound cue then */ }
  $('turn').focus();
}

/** Whom we exchange media with: performers see performers; performers also send to observers and moderators. */
function wanted(member) {
  if (!state.me || member.id === state.me.id || !member.connected) return false;
  return member.role === 'performer'
    || (state.me.role === 'performer' && (member.role === 'observer' || member.role === 'moderator'));
}

/** A media recorder we should send to (performers with a microphone only). */
function recording(member) {
  return isMediaRecorder(member) && member.connected && state.me && state.me.role === 'performer' && !!state.stream;
}

function connectAll() {
  if (!state.mesh) return;
  // offers that came while we were in the check first: they make the connection, connectTo then finds it
  for (const [from, signals] of state.early) {
    const m = state.roster.get(from);
    if (m && m.connected) signals.forEach((sig) => state.mesh.onSignal(sig));
  }
  state.early.clear();
  for (const m of state.roster.values()) {
    if (wanted(m)) state.mesh.connectTo(m.id);
  }
  state.mesh.refresh();
  // every welcome (first join and each reconnect) starts a fresh stream to each connected media recorder
  for (const m of state.roster.values()) {
    if (recording(m)) state.recorders.connect(m.id);
  }
}

function onWelcome(w) {
  state.me = w.you;
  state.welcomes.push({ resumed: w.resumed, replayFrom: w.replayFrom ?? null, seq: w.seq });
  $('room-title').textContent = w.room.name || 'Improv stage';
  document.title = `Improv · ${w.room.name || 'Stage'}`;
  state.roster = new Map(w.roster.map((m) => [m.id, m]));
  showScene(w.room.sceneActive, w.room.scene, w.room.sceneTitle);
  $('locked').classList.toggle('hidden', !w.room.locked);
  if (!state.offsetFromWelcome) state.offsetFromWelcome = w.serverTs - nowMicros();
  if (w.room.prompt && (!state.prompt || w.room.prompt.seq > state.prompt.seq)) showPrompt(w.room.prompt, state.prompt !== null);
  state.mutedByModerator = !!w.you.muted;
  state.reported.clear(); // the moderators may not have heard from us while we were away
  if (state.phase === 'joining') {
    if (state.observer) goOnStage();
    else startCheck();
    return;
  }
  if (state.phase === 'stage') {
    applyMute(state.mutedByModerator);
    connectAll();
  }
}

function onMessage(msg) {
  switch (msg.type) {
    case 'member_joined':
      state.roster.set(msg.member.id, msg.member);
      memberCame(msg.member);
      break;
    case 'presence': {
      const m = state.roster.get(msg.id);
      if (m) {
        m.connected = msg.connected;
        if (msg.connected) memberCame(m);
        else if (isMediaRecorder(m) && state.recorders) state.recorders.drop(m.id);
      }
      break;
    }
    case 'member_left':
      state.roster.delete(msg.id);
      state.media.delete(msg.id);
      state.reported.delete(msg.id);
      state.early.delete(msg.id);
      if (state.mesh) state.mesh.drop(msg.id);
      if (state.recorders) state.recorders.drop(msg.id);
      break;
    case 'prompt':
      showPrompt(msg, true);
      break;
    case 'scene_started':
      showScene(true, msg.scene, msg.title);
      break;
    case 'scene_ended':
      showScene(false, msg.scene);
      break;
    case 'consent':
      if (state.me && msg.participant === state.me.id) showConsent('agreed', msg.consentVersion);
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
      if (!page.fatal) page.banner('warn', `The server says: ${msg.reason}. Reconnecting when it is back…`);
      break;
    case 'signal':
      // the recorder's signals must never reach the mesh, which would open a performer connection to it
      if (isMediaRecorder(state.roster.get(msg.from))) {
        if (state.recorders) state.recorders.onSignal(msg);
      } else if (state.mesh) {
        state.mesh.onSignal(msg);
      } else {
        keepEarlySignal(msg);
      }
      break;
    default:
  }
  if (state.mesh) for (const peer of state.mesh.peers.values()) remoteTile(peer);
}

const EARLY_SIGNALS_PER_PEER = 64;

/**
 * A partner who is on stage already offers while we are still in the check: their offer (and its candidates) is
 * kept and answered once we are on stage, instead of being lost and leaving them waiting for their watchdog.
 */
function keepEarlySignal(msg) {
  if (msg.kind === 'offer') state.early.set(msg.from, [msg]);
  else if (state.early.has(msg.from) && state.early.get(msg.from).length < EARLY_SIGNALS_PER_PEER) {
    state.early.get(msg.from).push(msg);
  }
}

/** A member joined or came back: connect to them; a moderator also hears again how our links are. */
function memberCame(m) {
  if (m.role === 'moderator') state.reported.clear();
  state.reported.delete(m.id); // a partner back: say again how our link to them is
  if (!state.mesh) return;
  if (wanted(m)) state.mesh.connectTo(m.id);
  if (isMediaRecorder(m) && recording(m)) state.recorders.connect(m.id); // a restarted recorder waits for an offer
}

function onFatal({ code, message }) {
  const retry = code === 'ROOM_LOCKED' ? () => { page.clearFatal(); state.conn.retryNow(); } : null;
  page.fail(page.fatalText({ code, message }), retry);
  if (code === 'ROOM_LOCKED' || code === 'ROOM_FULL' || code === 'ROLE_FULL') {
    $('join-button').disabled = false; // not in yet; "Try again" or Join once there is room
  }
  if (code === 'ROOM_NOT_FOUND' && state.welcomes.length > 0) { // it ended while we were away: stop the scene
    showScene(false, null);
    state.prompt = null;
  }
  if (['KICKED', 'ROOM_CLOSED', 'REPLACED', 'LEFT', 'ROOM_NOT_FOUND', 'TOKEN_EXPIRED', 'TOKEN_INVALID',
    'TOKEN_WRONG_ROOM'].includes(code)) {
    state.phase = 'ended';
    if (state.mesh) state.mesh.close();
    if (state.recorders) state.recorders.close();
    releaseDevices();
    $('controls').classList.add('hidden');
    $('check').classList.add('hidden');
  }
}

function releaseDevices() {
  if (state.detector) state.detector.stop();
  state.detector = null;
  if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
  $('preview').srcObject = null;
}

function showScene(active, number, title) {
  const pill = $('scene');
  pill.textContent = active ? `Scene ${number}${title ? `: ${title}` : ''} — on` : number ? `Scene ${number} ended` : 'No scene yet';
  pill.className = `pill${active ? ' connected' : ''}`;
  state.scene = { active: !!active, number: number || 0 };
  syncTake();
}

// ---------------------------------------------------------------------------------------------- prompt

// ---------------------------------------------------------------------------------------------- local take

/** The uploader runs from page load: chunks an earlier page of this link left in IndexedDB go up first. */
async function startTakes() {
  if (!window.indexedDB || !(window.MediaStreamTrackProcessor || window.AudioWorkletNode)) return;
  const takes = new TakeRecorder({ conn: { get offsetUs() { return state.conn ? state.conn.offsetUs : null; },
    get rttUs() { return state.conn ? state.conn.rttUs : null; },
    sync() { if (state.conn) state.conn.sendTimeSync(); } }, token: page.token, participant: page.claims.pid });
  takes.addEventListener('change', showTake);
  try {
    await takes.init();
    takes.recordCamera(state.cameraBitsPerSecond, selfView);
    state.takes = takes;
  } catch (e) {
    console.warn('local recording unavailable', e);
  }
  syncTake();
}

/** Records while a scene runs, this performer agreed and is on stage; stops at the scene's end. */
function syncTake() {
  const t = state.takes;
  if (!t || !state.me) return;
  const want = state.scene.active && state.consent === 'agreed' && state.phase === 'stage' && !!state.stream;
  const take = `${page.claims.room}-${state.scene.number}`;
  if (want) t.start(take, state.stream).catch((e) => { console.warn('take not started', e); });
  else if (t.recording) t.stop();
}

function showTake() {
  const pill = $('take');
  const n = state.takes ? state.takes.numbers() : null;
  if (!n || (!n.recording && n.pendingChunks === 0)) {
    pill.classList.add('hidden');
    return;
  }
  pill.classList.remove('hidden');
  const waiting = n.pendingSeconds >= 1 ? ` · ${Math.round(n.pendingSeconds)} s waiting to upload` : '';
  const what = n.video && n.video.recording ? 'microphone and camera' : 'microphone';
  pill.textContent = n.recording ? `● Recording your ${what}${waiting}` : `Uploading your recording${waiting}`;
  pill.className = `pill ${n.recording ? 'take-on' : 'take-waiting'}`;
}

function warnIfPending(e) {
  const n = state.takes ? state.takes.numbers() : null;
  if (n && (n.recording || n.pendingChunks > 0)) {
    e.preventDefault();
    e.returnValue = 'Your recording is still being uploaded. Leave anyway?';
  }
}

async function loadConsent() {
  if (state.observer) return;
  try {
    const r = await fetch(`/api/stage/consent?token=${encodeURIComponent(page.token)}`);
    if (!r.ok) return;
    const c = await r.json();
    $('consent-text').textContent = c.text;
    state.consentVersion = c.version;
    // the server records cameras too (--take-video): the stage says so before anyone agrees
    state.cameraBitsPerSecond = c.camera ? c.videoBitsPerSecond : null;
    if (state.takes) state.takes.recordCamera(state.cameraBitsPerSecond, selfView);
    showConsent(c.answer || null, c.version);
  } catch (e) {
    console.warn('consent text unavailable', e);
  }
}

/** The own camera's tile on the stage (the camera take reads its frames' capture times). */
function selfView() {
  return document.querySelector('.tile[data-peer="local"] video');
}

/** What the stage records of a performer who agrees. */
function recordedWhat() {
  return state.cameraBitsPerSecond ? 'microphone and camera are' : 'microphone is';
}

function showConsent(answer, version) {
  state.consent = answer;
  $('consent').classList.remove('hidden');
  $('consent-buttons').classList.toggle('hidden', answer === 'agreed');
  $('consent-answer').textContent = answer === 'agreed'
    ? `You agreed to be recorded (consent version ${version}). Your ${recordedWhat()} recorded on this page during scenes.`
    : answer === 'declined'
      ? 'You did not agree: nothing of you is recorded. You can still perform, or agree above at any time.'
      : `Please read this (version ${version}) and answer: once you agree, your ${recordedWhat()} recorded during `
        + 'scenes. Nothing of you is recorded before you agree.';
  syncTake();
}

async function answerConsent(agree) {
  try {
    const r = await fetch(`/api/stage/consent?token=${encodeURIComponent(page.token)}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ version: state.consentVersion, agree }),
    });
    const c = await r.json();
    if (!r.ok) {
      $('consent-answer').textContent = `The server did not take your answer: ${c.message}`;
      if (c.field === 'version') loadConsent();
      return;
    }
    showConsent(c.answer, c.version);
  } catch (e) {
    $('consent-answer').textContent = 'Your answer did not reach the server; press the button again.';
  }
}

function serverOffsetUs() {
  return state.conn && state.conn.offsetUs !== null ? state.conn.offsetUs : (state.offsetFromWelcome || 0);
}

/** Shows a prompt; cue: it is new to this person (not the one already on screen when they joined). */
function showPrompt(prompt, cue) {
  state.prompt = prompt;
  const p = $('prompt');
  p.textContent = prompt.text;
  p.classList.remove('empty');
  p.dataset.seq = prompt.seq;
  tick();
  if (cue) promptCue(prompt);
}

/** A new prompt: the box flashes, screen readers hear it, and (if on) a short two-note chime plays. */
function promptCue(prompt) {
  const box = $('prompt-box');
  box.classList.remove('cue');
  void box.offsetWidth; // restart the animation
  box.classList.add('cue');
  const seconds = prompt.durationMs ? `, ${Math.round(prompt.durationMs / 1000)} seconds` : '';
  $('announce').textContent = `New prompt: ${prompt.text}${seconds}`;
  const sound = state.chime && chime();
  state.cues.push({ seq: prompt.seq, sound });
}

/** The chime; false when the browser allows no sound (no click on this page yet). */
function chime() {
  try {
    if (!state.audioOut) state.audioOut = new AudioContext();
    const ctx = state.audioOut;
    if (ctx.state !== 'running') ctx.resume().catch(() => {});
    const t = ctx.currentTime;
    for (const [i, freq] of [[0, 660], [1, 880]]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + i * 0.15);
      gain.gain.exponentialRampToValueAtTime(0.15, t + i * 0.15 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.15 + 0.14);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t + i * 0.15);
      osc.stop(t + i * 0.15 + 0.15);
    }
    return ctx.state === 'running';
  } catch (e) {
    return false;
  }
}

function setChime(on) {
  state.chime = on;
  localStorage.setItem(CHIME_KEY, on ? 'on' : 'off');
  $('chime').setAttribute('aria-pressed', String(on));
  $('chime').textContent = on ? 'Prompt sound on' : 'Prompt sound off';
}

$('chime').addEventListener('click', () => setChime(!state.chime));

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
    tile = el('figure', { class: 'tile', dataset: { peer: id } }, video,
      el('figcaption', { class: 'name' }, name), el('span', { class: 'state pill' }));
    if (id === 'local') $('videos').append(tile);
    else $('videos').prepend(tile); // partners first: on a phone they get the large place
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
  if (!state.mesh || state.mesh.peers.get(peer.id) !== peer) return;
  const member = state.roster.get(peer.id);
  if (!member || member.role !== 'performer') return; // observers and moderators only receive: nothing to show
  const tile = addTile(peer.id, `${member.name}${member.muted ? ' (muted)' : ''}`, peer.stream, false);
  const s = tile.querySelector('.state');
  const words = mediaWords(member, peer, state.media.get(peer.id));
  if (s.textContent !== words.text) s.textContent = words.text;
  s.className = `state pill ${words.kind}`;
  tile.classList.toggle('no-picture', !(state.media.get(peer.id) || {}).videoFlowing);
}

function removeTile(id) {
  const tile = document.querySelector(`.tile[data-peer="${CSS.escape(id)}"]`);
  if (tile) tile.remove();
}

/**
 * Once a second on the stage: is picture and sound really arriving from each partner? The tiles say so, and each
 * change is reported to the moderators (media_state), whose console shows every pair.
 */
async function pollMedia() {
  if (!state.mesh || state.phase !== 'stage') return;
  const stats = await state.mesh.stats().catch(() => []);
  for (const s of stats) {
    const media = flowing(state.media.get(s.peer), s);
    state.media.set(s.peer, media);
    const peer = state.mesh.peers.get(s.peer);
    if (peer) remoteTile(peer);
    report(s.peer, media, peer);
  }
}
setInterval(pollMedia, 1000);

function report(peerId, media, peer) {
  const member = state.roster.get(peerId);
  if (!member || member.role !== 'performer' || !state.me || state.me.role !== 'performer') return;
  if (!state.conn || state.conn.state !== 'connected') return;
  if (![...state.roster.values()].some((m) => m.role === 'moderator' && m.connected)) return;
  const msg = { type: 'media_state', peer: peerId, state: linkState(peer && peer.pc.connectionState, peer && peer.connectedOnce),
    video: media.connectionState === 'connected' && media.videoFlowing,
    audio: media.connectionState === 'connected' && media.audioFlowing };
  const key = `${msg.state}/${msg.video}/${msg.audio}`;
  if (state.reported.get(peerId) === key) return;
  state.reported.set(peerId, key);
  state.reportsSent++;
  state.conn.send(msg, { reliable: false });
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
  $('mic').setAttribute('aria-pressed', String(on));
  $('mic').textContent = muted ? 'Muted by the moderator' : state.micOn ? 'Microphone on' : 'Microphone off';
  if (!page.fatal) page.banner(muted ? 'info' : null, muted ? 'The moderator muted your microphone.' : null);
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

// Leave asks first: a stray tap must not end someone's scene
$('leave').addEventListener('click', () => $('leave-dialog').showModal());
$('leave-stay').addEventListener('click', () => $('leave-dialog').close());
$('leave-confirm').addEventListener('click', () => {
  $('leave-dialog').close();
  if (state.conn) state.conn.leave();
});

function sendMark(kind, clientTs) {
  if (!state.conn || !state.me || state.me.role !== 'performer' || state.phase !== 'stage') return;
  state.conn.send({ type: 'mark', kind, clientTs });
  if (kind in state.marksSent) state.marksSent[kind]++;
}

/** The microphone level for the check's meter and, once on stage, the speaking marks. */
async function startDetector() {
  if (state.detector) state.detector.stop();
  const threshold = Number(params.get('vadThreshold')) || undefined;
  const detector = new SpeakingDetector(state.stream, (speaking, at) => {
    if (state.phase !== 'stage') return; // nothing is sent before the person is on stage
    $('speaking').textContent = speaking ? 'Speaking' : 'Silent';
    $('speaking').className = `pill${speaking ? ' connected' : ''}`;
    const local = document.querySelector('.tile[data-peer="local"]');
    if (local) local.classList.toggle('speaking', speaking);
    sendMark(speaking ? 'speaking_start' : 'speaking_stop', at);
  }, { threshold });
  state.detector = detector;
  detector.setEnabled(state.micOn && !state.mutedByModerator);
  try {
    await detector.start();
  } catch (e) {
    console.warn('speaking detection unavailable', e);
  }
}

function showLevel() {
  const level = state.detector ? Math.min(100, Math.round((state.detector.level || 0) * 400)) : 0;
  for (const id of ['meter', 'check-meter']) {
    const bar = $(id);
    bar.style.width = `${level}%`;
    bar.parentElement.setAttribute('aria-valuenow', String(level));
  }
  if (level > 5) state.levelSeen = true;
  if (state.phase === 'check') {
    $('level-hint').textContent = state.levelSeen ? 'Your microphone works.' : 'Say something: the bar should move.';
  }
}
setInterval(showLevel, 100);

// ---------------------------------------------------------------------------------------------- debug hook

page.expose({
  phase: () => state.phase,
  state: () => (state.conn ? state.conn.state : 'idle'),
  lastSeq: () => (state.conn ? state.conn.lastSeq : null),
  me: () => state.me,
  roster: () => [...state.roster.values()],
  prompt: () => (state.prompt ? state.prompt.text : null),
  stats: () => (state.mesh ? state.mesh.stats() : Promise.resolve([])),
  recorderStats: () => (state.recorders ? state.recorders.stats() : Promise.resolve([])),
  dropSocket: () => state.conn && state.conn.dropSocket(),
  marksSent: () => ({ ...state.marksSent }),
  welcomes: () => [...state.welcomes],
  trace: () => (state.mesh ? [...state.mesh.trace] : []),
  level: () => (state.detector ? state.detector.level : null),
  audioState: () => (state.detector && state.detector.context ? state.detector.context.state : null),
  devices: () => (state.stream ? state.stream.getTracks().filter((t) => t.readyState === 'live').map((t) => t.kind) : []),
  network: () => state.network,
  cues: () => [...state.cues],
  reportsSent: () => state.reportsSent,
  take: () => (state.takes ? { ...state.takes.numbers(), stamps: state.takes.stats.stamps, dropped: state.takes.stats.dropped,
    segment: state.takes.stats.segment, duplicates: state.takes.stats.duplicates, capture: state.takes.stats.capture } : null),
  consent: () => state.consent,
  devicesOpened: () => state.devicesOpened || null,
  holdUploads: (on) => state.takes && state.takes.hold(on),
  /** Diagnostics and tests: 'worklet' makes the next take use the fallback capture (take-capture.js). */
  preferCapture: (kind) => { if (state.takes) state.takes.prefer = kind; },
  micTrack: () => (state.stream ? state.stream.getAudioTracks()[0] || null : null),
  camTrack: () => (state.stream ? state.stream.getVideoTracks()[0] || null : null),
});

init();
