// Peer-to-peer media with other members of the room, one RTCPeerConnection per peer, negotiated over the room's
// signal relay. Used by the stage (performers send and receive; observers receive) and by the moderator console
// (receive only).
//
// Who offers: the peer with the smaller participant id (the "offerer"), as soon as it wants the connection. The
// other peer waits for that offer and answers; it offers itself only when no offer came within OFFER_WAIT_MS
// (the other page may still hold a connection to our previous page), and for later renegotiations. Why not
// let both offer and settle the collision (perfect negotiation)? Because in Chromium the side that rolls back
// an offer whose ICE gathering has just started never gathers again: its gathering state stays "gathering"
// without a single candidate, the other side never receives one, and both connections stay "new" forever (7 of
// 30 joins in the browser test before this change; docs/web-client.md). Collisions that still happen (a late
// fallback offer) are settled the perfect-negotiation way, the offerer being the impolite side.
//
// Watchdog: a connection that is stuck (answered but no ICE progress, an offer never answered, failed, or
// simply not connected for too long) is replaced by a new one. The offerer acts first; the other side waits
// twice as long, so that the two do not replace at the same moment.
//
// Every signal carries the sender's connection id (`conn`, new for every RTCPeerConnection). An offer with a
// conn we do not know replaces our connection to that peer (it reloaded its page or replaced a stuck
// connection); answers and candidates of another conn are left over from an earlier connection and dropped.

import { fetchIceConfig, stale } from './ice.js';

export const TIMING = Object.freeze({
  /** How long the answering side waits for the offerer's offer before offering itself. */
  offerWaitMs: 3000,
  /** Answered, yet no ICE progress at all ("new") for this long: stuck (the rollback case above). */
  stuckNewMs: 4000,
  /** Our offer unanswered for this long (e.g. it was lost while our socket reconnected). */
  unansweredMs: 10000,
  /** Connected before, now disconnected for this long: ICE restart (the offerer). */
  disconnectedMs: 3000,
  /** Not connected for this long, whatever the reason: replace (long: on a loaded machine ICE can take 20 s). */
  notConnectedMs: 30000,
  tickMs: 1000,
});

const TRACE_LIMIT = 300;

function newConnId() {
  return Math.random().toString(36).slice(2, 10);
}

export class PeerMesh extends EventTarget {
  /**
   * @param {object} opts
   * @param {import('./connection.js').RoomConnection} opts.conn
   * @param {string} opts.token
   * @param {MediaStream|null} opts.localStream null for receive-only (observers, moderators)
   * @param {object} [opts.timing] overrides of TIMING (tests)
   */
  constructor({ conn, token, localStream, timing = {} }) {
    super();
    this.conn = conn;
    this.token = token;
    this.localStream = localStream;
    this.timing = { ...TIMING, ...timing };
    /** peerId -> peer (see create) */
    this.peers = new Map();
    /** peerId -> how many times its connection was replaced or ICE-restarted (kept across connections). */
    this.restarts = new Map();
    this.ice = null;
    this.trace = [];
    this.chain = Promise.resolve();
    this.watchdog = setInterval(() => this.checkAll(), this.timing.tickMs);
  }

  get myId() {
    return this.conn.me && this.conn.me.id;
  }

  note(peerId, what) {
    this.trace.push(`${Math.round(performance.now())} ${peerId} ${what}`);
    if (this.trace.length > TRACE_LIMIT) this.trace.shift();
  }

  async iceConfig() {
    if (!this.ice || stale(this.ice)) this.ice = await fetchIceConfig(this.token);
    return this.ice;
  }

  /** Runs connects and signals one at a time, in arrival order. */
  enqueue(task, what) {
    this.chain = this.chain.then(task).catch((e) => {
      this.note('-', `${what} failed: ${e && e.name} ${e && e.message}`);
      console.warn(what, 'failed', e);
    });
    return this.chain;
  }

  /** Makes sure we have a connection to this member (call for every connected member we should see). */
  connectTo(peerId) {
    return this.enqueue(async () => {
      const peer = this.peers.get(peerId);
      if (peer && peer.pc.connectionState !== 'closed') return;
      await this.create(peerId);
    }, `connection to ${peerId}`);
  }

  /** Handles a relayed signal {from, kind, data}. */
  onSignal(signal) {
    return this.enqueue(() => this.handleSignal(signal), `signal from ${signal.from}`);
  }

  /**
   * A new connection to peerId (replacing any earlier one). remoteConn: the peer's conn when its offer created
   * this connection. offerNow: offer at once even if we are not the offerer (watchdog fallback).
   */
  async create(peerId, { remoteConn = null, offerNow = false } = {}) {
    this.drop(peerId, false);
    const ice = await this.iceConfig();
    if (this.peers.has(peerId)) this.drop(peerId, false); // created by another task while we awaited
    const pc = new RTCPeerConnection({ iceServers: ice.iceServers, iceTransportPolicy: ice.iceTransportPolicy });
    const now = performance.now();
    const peer = {
      id: peerId, pc, conn: newConnId(), remoteConn,
      offerer: this.myId < peerId, makingOffer: false, ignoreOffer: false, negotiated: false, negotiatedAt: null,
      createdAt: now, since: now, offeredAt: null, connectedOnce: false, iceRestartedAt: null,
      early: [], localCandidates: 0, remoteCandidates: 0, stream: new MediaStream(), offerTimer: null,
    };
    this.peers.set(peerId, peer);
    this.note(peerId, `new connection ${peer.conn} (${peer.offerer ? 'offerer' : 'answerer'})`
      + `${remoteConn ? ` for their ${remoteConn}` : ''}`);
    if (this.localStream) {
      for (const track of this.localStream.getTracks()) pc.addTrack(track, this.localStream);
    } else {
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
    }
    pc.ontrack = ({ track }) => {
      peer.stream.addTrack(track);
      this.emit('track', peer);
    };
    pc.onicecandidate = ({ candidate }) => {
      if (!candidate || !candidate.candidate || this.peers.get(peerId) !== peer) return;
      peer.localCandidates++;
      this.signal(peer, 'ice', { candidate: candidate.toJSON() });
    };
    pc.onnegotiationneeded = () => this.offer(peer, false);
    pc.onicegatheringstatechange = () => this.note(peerId, `gathering ${pc.iceGatheringState}`);
    pc.onsignalingstatechange = () => this.note(peerId, `signaling ${pc.signalingState}`);
    pc.onconnectionstatechange = () => {
      this.note(peerId, `connection ${pc.connectionState}`);
      if (pc.connectionState === 'connected') {
        peer.connectedOnce = true;
        peer.since = performance.now();
      }
      this.emit('state', peer);
    };
    if (offerNow) {
      this.enqueue(() => this.offer(peer, true), `offer to ${peerId}`);
    } else if (!peer.offerer && !remoteConn) {
      // offered through the chain, so that it never interleaves with the handling of their offer
      peer.offerTimer = setTimeout(() => this.enqueue(() => {
        if (peer.negotiated || this.peers.get(peerId) !== peer) return undefined;
        this.note(peerId, 'no offer came: offering ourselves');
        return this.offer(peer, true);
      }, `offer to ${peerId}`), this.timing.offerWaitMs);
    }
    this.emit('peer', peer);
    return peer;
  }

  /** Makes and sends an offer; the answering side only renegotiates, or when told to (force). */
  async offer(peer, force) {
    const pc = peer.pc;
    if (this.peers.get(peer.id) !== peer || pc.signalingState === 'closed') return;
    if (!peer.offerer && !peer.negotiated && !force) {
      this.note(peer.id, 'negotiation needed: waiting for their offer');
      return;
    }
    if (pc.signalingState !== 'stable') return; // a negotiation is under way; it will fire again if still needed
    try {
      peer.makingOffer = true;
      await pc.setLocalDescription();
      // a remote offer may have rolled ours back while we made it: then there is nothing to send
      if (pc.signalingState !== 'have-local-offer' || this.peers.get(peer.id) !== peer) return;
      peer.offeredAt = performance.now();
      this.note(peer.id, 'offer sent');
      this.signal(peer, 'offer', { description: pc.localDescription.toJSON() });
    } catch (e) {
      this.note(peer.id, `offer failed: ${e.name} ${e.message}`);
    } finally {
      peer.makingOffer = false;
    }
  }

  signal(peer, kind, data) {
    // Signals are not resent after a reconnect: a stale offer would do harm; the watchdog recovers instead.
    // conn: our connection; to: theirs as far as we know it (so that they can drop what was meant for an old one)
    this.conn.send({ type: 'signal', to: peer.id, kind, data: { ...data, conn: peer.conn, to: peer.remoteConn } },
      { reliable: false });
  }

  async handleSignal({ from, kind, data }) {
    if (!data || typeof data !== 'object') return;
    const conn = typeof data.conn === 'string' ? data.conn : null;
    let peer = this.peers.get(from);
    this.note(from, `got ${kind}${kind === 'ice' ? '' : ` ${data.description && data.description.type}`} of ${conn}`
      + `${peer ? ` in ${peer.pc.signalingState}` : ' (no connection)'}`);
    if (peer && peer.remoteConn && conn !== peer.remoteConn) {
      if (kind !== 'offer') return; // left over from a connection the peer has replaced
      peer = await this.create(from, { remoteConn: conn }); // the peer reloaded or replaced its connection
    } else if (!peer) {
      if (kind !== 'offer') return; // for a connection we no longer have
      peer = await this.create(from, { remoteConn: conn });
    }
    const pc = peer.pc;
    // an answer or candidate meant for a connection of ours that has been replaced meanwhile (it would be
    // taken for the new connection's and leave it stuck)
    if (kind !== 'offer' && typeof data.to === 'string' && data.to !== peer.conn) return;
    if (kind === 'ice') {
      if (!peer.remoteConn) {
        peer.early.push({ conn, candidate: data.candidate }); // before their answer: keep for when it comes
        return;
      }
      await this.addCandidate(peer, data.candidate);
      return;
    }
    const description = data.description;
    if (!description || (kind !== 'offer' && kind !== 'answer')) return;
    if (description.type === 'answer' && pc.signalingState !== 'have-local-offer') return; // stale answer
    const collision = description.type === 'offer' && (peer.makingOffer || pc.signalingState !== 'stable');
    peer.ignoreOffer = peer.offerer && collision;
    if (peer.ignoreOffer) {
      this.note(from, 'offer collision: ours wins');
      return;
    }
    if (!peer.remoteConn) peer.remoteConn = conn;
    await pc.setRemoteDescription(description); // rolls back our own offer on a collision (we are polite)
    peer.negotiated = true;
    peer.negotiatedAt = performance.now();
    clearTimeout(peer.offerTimer);
    if (description.type === 'offer') {
      await pc.setLocalDescription();
      if (pc.localDescription && pc.localDescription.type === 'answer') {
        this.signal(peer, 'answer', { description: pc.localDescription.toJSON() });
      }
    }
    for (const early of peer.early.splice(0)) {
      if (early.conn === peer.remoteConn) await this.addCandidate(peer, early.candidate);
    }
  }

  async addCandidate(peer, candidate) {
    try {
      await peer.pc.addIceCandidate(candidate);
      peer.remoteCandidates++;
    } catch (e) {
      // candidates of an offer we ignored in a collision are expected to fail
      if (!peer.ignoreOffer) this.note(peer.id, `candidate refused: ${e.name}`);
    }
  }

  /** After our own reconnect: look at every connection at once instead of at the next tick. */
  refresh() {
    this.checkAll();
  }

  /** The watchdog: replaces (or ICE-restarts) connections that do not get to, or stay, connected. */
  checkAll() {
    const now = performance.now();
    this.ticks = (this.ticks || 0) + 1;
    for (const peer of [...this.peers.values()]) {
      const reason = this.stuck(peer, now);
      if (!reason) continue;
      this.restarts.set(peer.id, (this.restarts.get(peer.id) || 0) + 1);
      if (reason === 'disconnected') {
        this.note(peer.id, 'watchdog: disconnected, ICE restart');
        peer.iceRestartedAt = now;
        peer.pc.restartIce();
      } else {
        this.note(peer.id, `watchdog: ${reason}, new connection`);
        const id = peer.id;
        this.enqueue(() => this.create(id, { offerNow: true }), `replacing the connection to ${id}`);
      }
    }
  }

  /** Why this connection needs help now, or null. The answering side is twice as patient. */
  stuck(peer, now) {
    const pc = peer.pc;
    const t = this.timing;
    const patience = peer.offerer ? 1 : 2;
    const state = pc.connectionState;
    if (state === 'connected' || state === 'closed') return null;
    const age = now - peer.since;
    if (peer.connectedOnce && (state === 'disconnected' || state === 'failed')) {
      if (peer.offerer && peer.iceRestartedAt === null && age > t.disconnectedMs) return 'disconnected';
      return age > t.notConnectedMs * patience ? `${state} for ${Math.round(age / 1000)} s` : null;
    }
    if (state === 'failed') return peer.offerer || age > t.stuckNewMs * patience ? 'failed' : null;
    if (pc.signalingState === 'stable' && peer.negotiatedAt !== null && pc.iceConnectionState === 'new'
        && now - peer.negotiatedAt > t.stuckNewMs * patience) return 'no ICE progress';
    if (pc.signalingState === 'have-local-offer' && peer.offeredAt !== null
        && now - peer.offeredAt > t.unansweredMs * patience) return 'offer unanswered';
    if (age > t.notConnectedMs * patience) return `not connected after ${Math.round(age / 1000)} s`;
    return null;
  }

  /** Closes the connection to peerId; emits 'gone' unless it is about to be replaced. */
  drop(peerId, gone = true) {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    this.peers.delete(peerId);
    clearTimeout(peer.offerTimer);
    peer.pc.close();
    if (gone) this.emit('gone', peer);
  }

  close() {
    clearInterval(this.watchdog);
    for (const id of [...this.peers.keys()]) this.drop(id);
  }

  emit(type, peer) {
    this.dispatchEvent(new CustomEvent(type, { detail: peer }));
  }

  /** Per peer: connection state, restarts and inbound media counters (debug hook, status texts, tests). */
  async stats() {
    const out = [];
    for (const peer of [...this.peers.values()]) {
      const entry = { peer: peer.id, connectionState: peer.pc.connectionState,
        iceConnectionState: peer.pc.iceConnectionState, signalingState: peer.pc.signalingState,
        offerer: peer.offerer, restarts: this.restarts.get(peer.id) || 0, watchdogTicks: this.ticks || 0,
        localCandidates: peer.localCandidates, remoteCandidates: peer.remoteCandidates,
        framesDecoded: 0, audioBytesReceived: 0, audioLevel: 0, candidateTypes: [] };
      const report = await peer.pc.getStats();
      let pairId = null;
      report.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') entry.framesDecoded += s.framesDecoded || 0;
        if (s.type === 'inbound-rtp' && s.kind === 'audio') {
          entry.audioBytesReceived += s.bytesReceived || 0;
          entry.audioLevel = Math.max(entry.audioLevel, s.audioLevel || 0);
        }
        if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
      });
      if (pairId && report.get(pairId)) {
        const pair = report.get(pairId);
        const local = report.get(pair.localCandidateId);
        const remote = report.get(pair.remoteCandidateId);
        entry.candidateTypes = [local && local.candidateType, remote && remote.candidateType];
        entry.localAddress = local && local.address;
        entry.remoteAddress = remote && remote.address;
      }
      out.push(entry);
    }
    return out;
  }
}
