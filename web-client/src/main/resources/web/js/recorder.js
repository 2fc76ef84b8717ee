// The performer's send-only audio (and camera) link to the room's media recorder (docs/media-recorder.md, "Contract for the
// performer page"). Separate from the performer mesh on purpose: the recorder never sends media, never offers,
// and treats every offer as a new stream, so there is no negotiation to be polite about — we offer, it answers.
//
// The media recorder is found by type: the server announces it with the `media` capability (its join token has
// the `media` scope), never by its name. Signals have the performer mesh's shape (rtc.js, docs/protocol.md
// "Signals"): offer/answer data {description, conn, to}, ice data {candidate, conn, to} with the browser's
// toJSON() forms; `conn` is our connection's id, `to` the recorder's (from its answer), so that answers and
// candidates meant for a connection we replaced are dropped.

import { CAPABILITIES } from './protocol.js';

const MEDIA = CAPABILITIES.find((c) => c === 'media');

/** True for a roster member that records media: the server says so in its capabilities. */
export function isMediaRecorder(member) {
  return !!member && Array.isArray(member.capabilities) && member.capabilities.includes(MEDIA);
}

function newConnId() {
  return Math.random().toString(36).slice(2, 10);
}

export class RecorderLinks {
  /**
   * @param {object} opts
   * @param {import('./connection.js').RoomConnection} opts.conn
   * @param {MediaStream|null} opts.localStream its audio track (and camera track, if any) is what the recorder gets
   * @param {() => Promise<{iceServers: object[], iceTransportPolicy: string}>} opts.iceConfig shared with the mesh
   */
  constructor({ conn, localStream, iceConfig }) {
    this.conn = conn;
    this.localStream = localStream;
    this.iceConfig = iceConfig;
    /** recorderId -> {id, pc, pendingCandidates, offers, answered, lastError} */
    this.links = new Map();
    /** recorderId -> offers made so far (kept across connections, for the debug hook). */
    this.offerCounts = new Map();
    /** Connects and signals run one at a time, in order, so an answer never overtakes its own offer. */
    this.chain = Promise.resolve();
  }

  enqueue(task) {
    this.chain = this.chain.then(task).catch((e) => console.warn('media recorder link', e));
    return this.chain;
  }

  /** The recorder ids we have a link with (to route their signals here instead of to the mesh). */
  has(id) {
    return this.links.has(id);
  }

  /**
   * Opens a new connection to this recorder, closing any earlier one: the recorder takes each offer as a new
   * stream, so a fresh connection is the simple and honest thing after either side reconnected.
   */
  connect(recorderId) {
    return this.enqueue(() => this.open(recorderId));
  }

  async open(recorderId) {
    const track = this.localStream && this.localStream.getAudioTracks()[0];
    const video = this.localStream && this.localStream.getVideoTracks()[0];
    if ((!track && !video) || !this.conn.me) return;
    this.drop(recorderId);
    const ice = await this.iceConfig();
    const pc = new RTCPeerConnection({ iceServers: ice.iceServers, iceTransportPolicy: ice.iceTransportPolicy });
    const offers = (this.offerCounts.get(recorderId) || 0) + 1;
    this.offerCounts.set(recorderId, offers);
    const link = { id: recorderId, pc, conn: newConnId(), remoteConn: null, pendingCandidates: [], outgoing: [],
      offerSent: false, offers, answered: false, lastError: null, ignored: 0 };
    this.links.set(recorderId, link);
    if (track) pc.addTransceiver(track, { direction: 'sendonly', streams: [this.localStream] });
    // The camera too, send-only: a recorder that stores video answers recvonly, one that does not answers
    // inactive (then nothing is sent). Audio first, so the audio m-line stays at index 0.
    if (video) pc.addTransceiver(video, { direction: 'sendonly', streams: [this.localStream] });
    pc.onicecandidate = ({ candidate }) => {
      if (!candidate || !candidate.candidate || this.links.get(recorderId) !== link) return;
      const data = { candidate: candidate.toJSON() };
      if (link.offerSent) this.signal(link, 'ice', data);
      else link.outgoing.push(data); // the recorder drops candidates that arrive before their offer
    };
    try {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      if (this.links.get(recorderId) !== link) return;
      this.signal(link, 'offer', { description: pc.localDescription.toJSON() });
      link.offerSent = true;
      for (const data of link.outgoing.splice(0)) this.signal(link, 'ice', data);
    } catch (e) {
      link.lastError = String(e);
      console.warn('offer to the media recorder', recorderId, 'failed', e);
    }
  }

  signal(link, kind, data) {
    // Not resent after a reconnect: our next welcome makes a new connection with a new offer anyway.
    const addressed = { ...data, conn: link.conn };
    if (link.remoteConn) addressed.to = link.remoteConn;
    this.conn.send({ type: 'signal', to: link.id, kind, data: addressed }, { reliable: false });
  }

  /** A signal from a recorder we link with: its answer or an ICE candidate. */
  onSignal(signal) {
    return this.enqueue(() => this.handleSignal(signal));
  }

  async handleSignal({ from, kind, data }) {
    const link = this.links.get(from);
    if (!link || !data || typeof data !== 'object') return;
    const pc = link.pc;
    // meant for a connection of ours that has been replaced meanwhile: counted (debug hook), not used
    if (data.to !== link.conn || (link.remoteConn && data.conn !== link.remoteConn)) {
      link.ignored++;
      return;
    }
    try {
      if (kind === 'answer') {
        if (pc.signalingState !== 'have-local-offer' || !data.description) return; // a replaced offer's answer
        link.remoteConn = data.conn;
        await pc.setRemoteDescription(data.description);
        link.answered = true;
        for (const c of link.pendingCandidates.splice(0)) await this.addCandidate(link, c);
      } else if (kind === 'ice') {
        if (!data.candidate || !data.candidate.candidate) return; // end of candidates
        if (pc.remoteDescription) await this.addCandidate(link, data.candidate);
        else link.pendingCandidates.push(data.candidate);
      }
    } catch (e) {
      link.lastError = String(e);
      console.warn('signal from the media recorder', from, 'failed', e);
    }
  }

  async addCandidate(link, candidate) {
    try {
      await link.pc.addIceCandidate(candidate);
    } catch (e) {
      // a candidate meant for an earlier connection to the same recorder: harmless, skip it
    }
  }

  drop(recorderId) {
    const link = this.links.get(recorderId);
    if (!link) return;
    this.links.delete(recorderId);
    link.pc.close();
  }

  close() {
    for (const id of [...this.links.keys()]) this.drop(id);
  }

  /** Per recorder: connection state, whether it answered, offers made, and audio and video sent. */
  async stats() {
    const out = [];
    for (const link of this.links.values()) {
      const entry = { recorder: link.id, connectionState: link.pc.connectionState,
        iceConnectionState: link.pc.iceConnectionState, signalingState: link.pc.signalingState,
        answered: link.answered, offers: link.offers, ignoredSignals: link.ignored, audioBytesSent: 0, audioPacketsSent: 0,
        videoBytesSent: 0, videoFramesSent: 0, lastError: link.lastError };
      const report = await link.pc.getStats();
      report.forEach((s) => {
        if (s.type === 'outbound-rtp' && s.kind === 'audio') {
          entry.audioBytesSent += s.bytesSent || 0;
          entry.audioPacketsSent += s.packetsSent || 0;
        } else if (s.type === 'outbound-rtp' && s.kind === 'video') {
          entry.videoBytesSent += s.bytesSent || 0;
          entry.videoFramesSent += s.framesSent || 0;
        }
      });
      out.push(entry);
    }
    return out;
  }
}
