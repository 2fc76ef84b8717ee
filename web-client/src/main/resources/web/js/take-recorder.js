// The performer's local take (docs/recording.md): the own microphone recorded in the page from scene start to
// scene end as 48 kHz 16-bit PCM (from the capture path's own frames and stamps where the browser has a
// MediaStreamTrackProcessor, else from an AudioWorklet: take-capture.js), cut into chunks of half a second, each
// stamped with the page clock of its first sample's capture (and the clock offset to the server from the time
// sync), kept in IndexedDB and uploaded one request per chunk, in order, until the server confirms it. A dropped connection or a page reload
// loses nothing: the chunks wait in IndexedDB and go up when the server is reachable again; after a reload the
// take goes on in a new segment (the audio clock starts anew; the server places each segment by its stamps).
//
// Where the server records cameras too (the stage consent says so), a CameraRecorder (take-video.js) records the
// camera over the same scene and its chunks go through the same queue.
//
// Events: 'change' whenever the numbers change (for the indicator).

import { TakeStore } from './take-store.js';
import { captureFor } from './take-capture.js';
import { CameraRecorder } from './take-video.js';

export const TAKE = Object.freeze({
  sampleRate: 48000,
  /** Half a second: 48,000 bytes, under the server's 64 KiB request body limit. */
  chunkSamples: 24000,
  retryMs: [500, 1000, 2000, 5000, 10000],
  /**
   * While recording, one time-sync exchange a second: the room connection's own (three, then one per 10 s) often
   * happen while the page is busy (its start, a reload) and their round trips were 6-21 ms here; the server
   * places the whole track with the estimate of the smallest round trip among its chunks.
   */
  syncEveryMs: 1000,
});

/** Errors after which a chunk can never be stored: it is dropped (and counted), not retried. */
const FINAL = new Set([400, 403, 404, 409, 413, 415, 507]);

function toHex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export class TakeRecorder extends EventTarget {
  /**
   * @param {object} opts
   * @param {import('./connection.js').RoomConnection} opts.conn for the clock offset to the server
   * @param {string} opts.token the join token (the upload's authority)
   * @param {string} opts.participant our participant id (from the token)
   */
  constructor({ conn, token, participant }) {
    super();
    this.conn = conn;
    this.token = token;
    this.participant = participant;
    this.store = null;
    this.take = null;
    /** the running capture (take-capture.js); 'worklet' in {@code prefer} forces the fallback (diagnostics) */
    this.capture = null;
    this.prefer = 'processor';
    /** chunks waiting for the server, in order: {take, index, …, pcm} */
    this.queue = [];
    this.uploading = false;
    /** Diagnostics and tests: uploads wait while true, as if the server could not be reached. */
    this.held = false;
    this.retry = 0;
    this.stats = { recordedSamples: 0, uploadedSamples: 0, chunksMade: 0, chunksUploaded: 0, duplicates: 0,
      dropped: [], lastError: null, segment: 0, stamps: [], videoUploaded: 0 };
    /** The camera's recorder while the server records cameras ({@link #recordCamera}), else null. */
    this.camera = null;
  }

  /**
   * The server records cameras at this bit rate (the stage consent's answer); null: the microphone only.
   * {@code selfView} gives the page's own camera view (the camera recorder reads its frames' capture times).
   */
  recordCamera(bitsPerSecond, selfView) {
    if (!bitsPerSecond) this.camera = null;
    else if (!this.camera) this.camera = new CameraRecorder({ takes: this, bitsPerSecond, selfView });
  }

  async digest(buffer) {
    return toHex(await crypto.subtle.digest('SHA-256', buffer));
  }

  /** A chunk kept in IndexedDB goes up in its turn. */
  enqueue(chunk) {
    this.queue.push(chunk);
    this.changed();
    this.pump();
  }

  /** Opens IndexedDB and uploads what an earlier page of this link left there. */
  async init() {
    this.store = await TakeStore.open();
    const left = await this.store.pending(this.participant);
    // in take order, each kind in its index order (the server takes a kind's indexes within a window)
    left.sort((a, b) => (a.take !== b.take ? (a.take < b.take ? -1 : 1) : a.kind !== b.kind ? (a.kind < b.kind ? -1 : 1)
      : a.index - b.index));
    this.queue.push(...left);
    this.changed();
    this.pump();
  }

  get recording() {
    return !!this.capture;
  }

  get recordingCamera() {
    return !!(this.camera && this.camera.recording);
  }

  /** Seconds recorded of the current take, confirmed by the server, and still waiting (in IndexedDB). */
  numbers() {
    const pendingSamples = this.queue.reduce((n, c) => n + (c.kind === 'video' ? 0 : c.samples), 0)
      + (this.buffer ? this.filled : 0);
    const video = this.camera ? { recording: this.camera.recording, recordedSeconds: this.camera.stats.recordedMs / 1000,
      pendingChunks: this.queue.filter((c) => c.kind === 'video').length, chunksMade: this.camera.stats.chunksMade,
      uploadedChunks: this.stats.videoUploaded, mimeType: this.camera.stats.mimeType, startUs: this.camera.stats.startUs,
      startEventUs: this.camera.stats.startEventUs, startCallUs: this.camera.stats.startCallUs,
      stamp: this.camera.stats.stamp,
      lastError: this.camera.stats.lastError } : null;
    return { video,
      take: this.take, recording: this.recording,
      recordedSeconds: this.stats.recordedSamples / TAKE.sampleRate,
      uploadedSeconds: this.stats.uploadedSamples / TAKE.sampleRate,
      pendingSeconds: pendingSamples / TAKE.sampleRate,
      pendingChunks: this.queue.length, dropped: this.stats.dropped.length, lastError: this.stats.lastError,
    };
  }

  /** Starts (or, after a reload, goes on with) recording take {@code take} from this stream's microphone. */
  async start(take, stream) {
    if (this.take === take && this.capture) {
      // the camera was asked for after the microphone had started (the consent's answer came later)
      if (this.camera && !this.camera.recording) await this.startCamera(take, stream);
      return;
    }
    if (this.capture) await this.stop();
    const track = stream && stream.getAudioTracks()[0];
    if (!track) return;
    const before = await this.store.track(take, this.participant);
    this.take = take;
    this.index = before ? before.nextIndex : 0;
    this.segment = before ? before.segment + 1 : 0;
    this.stats.recordedSamples = before ? before.recorded : 0;
    this.stats.uploadedSamples = before ? before.uploaded || 0 : 0;
    this.stats.segment = this.segment;
    this.segmentSamples = 0; // samples of this segment already in chunks
    this.buffer = new Int16Array(TAKE.chunkSamples * 2);
    this.filled = 0;
    const capture = captureFor(track, (samples) => this.onSamples(capture, samples), this.prefer);
    if (!capture) return;
    this.capture = capture; // before it starts: its first samples may come at once
    this.stats.capture = capture.info;
    try {
      await capture.start();
    } catch (e) {
      this.capture = null;
      throw e;
    }
    if (this.conn.sync) this.syncTimer = setInterval(() => this.conn.sync(), TAKE.syncEveryMs);
    if (this.camera) await this.startCamera(take, stream);
    this.changed();
  }

  async startCamera(take, stream) {
    const camera = this.camera;
    await camera.start(take, stream).catch((e) => { camera.stats.lastError = `camera not recorded: ${e}`; });
    this.changed();
  }

  onSamples(capture, samples) {
    if (this.capture !== capture) return;
    if (this.filled + samples.length > this.buffer.length) { // a long burst after a stall: room for it
      const bigger = new Int16Array(this.filled + samples.length + TAKE.chunkSamples);
      bigger.set(this.buffer.subarray(0, this.filled));
      this.buffer = bigger;
    }
    for (let i = 0; i < samples.length; i++) {
      const s = Math.max(-1, Math.min(1, samples[i]));
      this.buffer[this.filled++] = s < 0 ? s * 0x8000 : s * 0x7fff;
    }
    this.stats.recordedSamples += samples.length;
    // a full chunk leaves once more samples follow, so that the take's last chunk is never empty
    while (this.filled > TAKE.chunkSamples) this.cut(TAKE.chunkSamples, false);
  }

  /** Makes a chunk of the first {@code count} buffered samples; keeps it in IndexedDB and queues it for upload. */
  cut(count, last) {
    const pcm = this.buffer.slice(0, count);
    this.buffer.copyWithin(0, count, this.filled);
    this.filled -= count;
    const chunk = {
      take: this.take, participant: this.participant, index: this.index++, segment: this.segment,
      sample: this.segmentSamples, samples: count, clientUs: this.capture.stampUs(this.segmentSamples),
      offsetUs: this.conn.offsetUs ?? 0, rttUs: this.conn.rttUs ?? 60_000_000, last, capture: this.capture.kind,
      recorded: this.stats.recordedSamples - this.filled, pcm: pcm.buffer,
    };
    this.segmentSamples += count;
    this.stats.chunksMade++;
    if (this.stats.stamps.length < 2000) this.stats.stamps.push([chunk.index, chunk.segment, chunk.sample, chunk.clientUs]);
    const position = { take: this.take, participant: this.participant, nextIndex: this.index, segment: this.segment,
      recorded: chunk.recorded, uploaded: this.stats.uploadedSamples };
    this.saving = (this.saving || Promise.resolve()).then(async () => {
      chunk.sha256 = await this.digest(chunk.pcm);
      await this.store.keep(chunk, position);
      this.queue.push(chunk);
      this.changed();
      this.pump();
    }).catch((e) => { this.stats.lastError = `could not keep a chunk: ${e}`; this.changed(); });
  }

  /** The scene ended: the rest becomes the take's last chunk. */
  async stop() {
    const capture = this.capture;
    if (!capture) return;
    clearInterval(this.syncTimer);
    const camera = this.camera ? this.camera.stop() : null;
    await capture.stop(); // its last samples still come in
    if (this.filled > 0) this.cut(this.filled, true);
    this.capture = null;
    await this.saving;
    await camera;
    this.changed();
  }

  /** Uploads the queue in order, one chunk at a time; network trouble and 5xx wait and try again. */
  async pump() {
    if (this.uploading) return;
    this.uploading = true;
    try {
      while (this.queue.length && !this.held) {
        const c = this.queue[0];
        let status = 0;
        let body = null;
        try {
          const r = await fetch(this.uploadUrl(c), { method: 'PUT',
            headers: { 'Content-Type': c.kind === 'video' ? 'video/webm' : 'application/octet-stream' },
            body: c.kind === 'video' ? c.data : c.pcm });
          status = r.status;
          body = await r.json().catch(() => null);
        } catch (e) {
          status = 0;
        }
        if (status === 200 || status === 201 || FINAL.has(status)) {
          this.queue.shift();
          await this.store.remove(c).catch(() => {});
          this.retry = 0;
          if ((status === 200 || status === 201) && c.kind === 'video') {
            this.stats.videoUploaded++;
          } else if (status === 200 || status === 201) {
            if (c.take === this.take) this.stats.uploadedSamples += c.samples;
            this.stats.chunksUploaded++;
            if (status === 200) this.stats.duplicates++;
            this.stats.lastError = null;
          } else {
            this.stats.dropped.push({ take: c.take, index: c.index, status, code: body && body.code });
            this.stats.lastError = (body && body.message) || `HTTP ${status}`;
          }
          this.changed();
          continue;
        }
        this.stats.lastError = status ? (body && body.message) || `HTTP ${status}` : 'no connection to the server';
        this.changed();
        await new Promise((r) => setTimeout(r, TAKE.retryMs[Math.min(this.retry++, TAKE.retryMs.length - 1)]));
      }
    } finally {
      this.uploading = false;
    }
  }

  /** The chunk's PUT: the microphone's PCM under chunks/, the camera's WebM bytes under video/. */
  uploadUrl(c) {
    const track = `/api/takes/${encodeURIComponent(c.take)}/tracks/${encodeURIComponent(c.participant)}`;
    const rttUs = String(Math.max(0, Math.min(60_000_000, c.rttUs)));
    if (c.kind === 'video') {
      const q = new URLSearchParams({ token: this.token, sha256: c.sha256, offset: String(c.offset),
        startUs: String(c.startUs), untilMs: String(c.untilMs), segment: String(c.segment),
        offsetUs: String(c.offsetUs), rttUs, last: String(c.last), mimeType: c.mimeType });
      return `${track}/video/${c.index}?${q}`;
    }
    const q = new URLSearchParams({ token: this.token, sha256: c.sha256, sample: String(c.sample),
      clientUs: String(c.clientUs), segment: String(c.segment), offsetUs: String(c.offsetUs), rttUs,
      last: String(c.last), recorded: String(c.recorded) });
    if (c.capture) q.set('capture', c.capture);
    return `${track}/chunks/${c.index}?${q}`;
  }

  hold(on) {
    this.held = on;
    if (!on) this.pump();
  }

  changed() {
    this.dispatchEvent(new CustomEvent('change', { detail: this.numbers() }));
  }
}
