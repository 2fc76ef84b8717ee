// Peer-to-peer media with every other performer (and receive-only observers), one RTCPeerConnection per peer,
// negotiated with the "perfect negotiation" pattern over the room's signal relay. The peer with the smaller
// participant id is the polite one: on an offer collision it rolls back and takes the other's offer.
//
// Every signal carries the sender's page session id (sid). A peer that reloads its page comes back with a new
// sid, and we replace the old connection instead of feeding a new offer into a dead one.

import { fetchIceConfig, stale } from './ice.js';

export class PeerMesh extends EventTarget {
  /**
   * @param {object} opts
   * @param {import('./connection.js').RoomConnection} opts.conn
   * @param {string} opts.token
   * @param {MediaStream|null} opts.localStream null for receive-only (observers)
   */
  constructor({ conn, token, localStream }) {
    super();
    this.conn = conn;
    this.token = token;
    this.localStream = localStream;
    this.sid = Math.random().toString(36).slice(2, 10);
    /** peerId -> {pc, polite, makingOffer, ignoreOffer, remoteSid, pendingCandidates, stream} */
    this.peers = new Map();
    this.ice = null;
  }

  get myId() {
    return this.conn.me && this.conn.me.id;
  }

  async iceConfig() {
    if (!this.ice || stale(this.ice)) this.ice = await fetchIceConfig(this.token);
    return this.ice;
  }

  /** Makes sure a connection to this peer exists (called for every connected member we should see). */
  async ensure(peerId, remoteSid = null) {
    let peer = this.peers.get(peerId);
    if (peer && ['failed', 'closed'].includes(peer.pc.connectionState)) {
      this.drop(peerId);
      peer = null;
    }
    if (peer) {
      if (remoteSid && !peer.remoteSid) peer.remoteSid = remoteSid;
      return peer;
    }
    const ice = await this.iceConfig();
    if (this.peers.has(peerId)) return this.peers.get(peerId); // created while we awaited
    const pc = new RTCPeerConnection({ iceServers: ice.iceServers, iceTransportPolicy: ice.iceTransportPolicy });
    peer = { id: peerId, pc, polite: this.myId < peerId, makingOffer: false, ignoreOffer: false,
      remoteSid, stream: new MediaStream() };
    this.peers.set(peerId, peer);
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
      if (candidate) this.signal(peerId, 'ice', { candidate: candidate.toJSON() });
    };
    pc.onnegotiationneeded = async () => {
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        this.signal(peerId, 'offer', { description: pc.localDescription.toJSON() });
      } catch (e) {
        console.warn('offer to', peerId, 'failed', e);
      } finally {
        peer.makingOffer = false;
      }
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') pc.restartIce();
      this.emit('state', peer);
    };
    this.emit('peer', peer);
    return peer;
  }

  signal(to, kind, data) {
    // Signals are not resent after a reconnect: a stale offer would do harm; ICE restarts recover instead.
    this.conn.send({ type: 'signal', to, kind, data: { ...data, sid: this.sid } }, { reliable: false });
  }

  /** Connects to a member we should see; queued behind signals being handled. */
  connectTo(peerId) {
    this.chain = (this.chain || Promise.resolve()).then(() => this.ensure(peerId)).catch((e) => {
      console.warn('connection to', peerId, 'failed', e);
    });
    return this.chain;
  }

  /** Handles a relayed signal {from, kind, data}, one at a time and in arrival order. */
  onSignal(signal) {
    this.chain = (this.chain || Promise.resolve()).then(() => this.handleSignal(signal)).catch((e) => {
      console.warn('signal failed', e);
    });
    return this.chain;
  }

  async handleSignal({ from, kind, data }) {
    const sid = data && data.sid;
    const known = this.peers.get(from);
    if (known && known.remoteSid && sid !== known.remoteSid) {
      if (kind !== 'offer') return; // left over from an earlier page of that peer
      this.drop(from); // the peer reloaded its page: start afresh
    }
    const peer = await this.ensure(from, sid);
    const pc = peer.pc;
    try {
      if (kind === 'offer' || kind === 'answer') {
        const description = data.description;
        const collision = description.type === 'offer' && (peer.makingOffer || pc.signalingState !== 'stable');
        peer.ignoreOffer = !peer.polite && collision;
        if (peer.ignoreOffer) return;
        await pc.setRemoteDescription(description); // rolls back our own offer when polite
        if (description.type === 'offer') {
          await pc.setLocalDescription();
          this.signal(from, 'answer', { description: pc.localDescription.toJSON() });
        }
      } else if (kind === 'ice') {
        try {
          await pc.addIceCandidate(data.candidate);
        } catch (e) {
          if (!peer.ignoreOffer) throw e;
        }
      }
    } catch (e) {
      console.warn('signal from', from, 'failed', e);
    }
  }

  /** After our own reconnect: connections that broke meanwhile get an ICE restart. */
  refresh() {
    for (const peer of this.peers.values()) {
      if (['failed', 'disconnected'].includes(peer.pc.connectionState)) peer.pc.restartIce();
    }
  }

  drop(peerId) {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    this.peers.delete(peerId);
    peer.pc.close();
    this.emit('gone', peer);
  }

  close() {
    for (const id of [...this.peers.keys()]) this.drop(id);
  }

  emit(type, peer) {
    this.dispatchEvent(new CustomEvent(type, { detail: peer }));
  }

  /** Per peer: connection state and inbound media counters (for the debug hook and the status line). */
  async stats() {
    const out = [];
    for (const peer of this.peers.values()) {
      const entry = { peer: peer.id, connectionState: peer.pc.connectionState,
        iceConnectionState: peer.pc.iceConnectionState, framesDecoded: 0, audioBytesReceived: 0,
        candidateTypes: [] };
      const report = await peer.pc.getStats();
      let pairId = null;
      report.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') entry.framesDecoded += s.framesDecoded || 0;
        if (s.type === 'inbound-rtp' && s.kind === 'audio') entry.audioBytesReceived += s.bytesReceived || 0;
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
