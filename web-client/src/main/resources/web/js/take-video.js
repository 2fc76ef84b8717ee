// The performer's camera during a take, where the server records it (`--take-video`; docs/recording.md): a
// MediaRecorder on the camera track makes WebM, handed over about once a second; each blob is cut into chunks of at
// most TAKE_VIDEO.maxChunkBytes (the server's body limit) that are kept in IndexedDB and uploaded by the take's
// uploader (take-recorder.js) with the microphone's chunks. A recording run (one MediaRecorder: a new one after a
// page reload) is one WebM stream on the server: its chunks carry their byte offset in it and the page clock of
// the run's start, so the server places the file on its timeline as it places the microphone's samples.

export const TAKE_VIDEO = Object.freeze({
  /** How often the MediaRecorder hands over what it encoded. */
  timesliceMs: 1000,
  /** Under the server's 64 KiB request body limit (and its default --take-max-chunk-bytes). */
  maxChunkBytes: 60000,
  types: ['video/webm;codecs=vp8', 'video/webm;codecs=vp9', 'video/webm'],
});

/** The first WebM type this browser's MediaRecorder makes, or null (no camera recording here). */
export function videoType() {
  if (typeof window.MediaRecorder !== 'function') return null;
  return TAKE_VIDEO.types.find((t) => MediaRecorder.isTypeSupported(t)) || null;
}

/** The page clock in µs since the epoch for a DOMHighResTimeStamp (performance.now() time). */
function pageUs(ms) {
  return Math.round((performance.timeOrigin + ms) * 1000);
}

export class CameraRecorder {
  /**
   * @param {object} opts
   * @param {import('./take-recorder.js').TakeRecorder} opts.takes the take's uploader: its store, clock and queue
   * @param {number} opts.bitsPerSecond what the server asks for (its --take-video-bitrate)
   */
  constructor({ takes, bitsPerSecond }) {
    this.takes = takes;
    this.bitsPerSecond = bitsPerSecond;
    this.recorder = null;
    this.stats = { recordedMs: 0, chunksMade: 0, blobs: 0, mimeType: null, startUs: null, lastError: null };
  }

  get recording() {
    return !!this.recorder;
  }

  /** Starts (or, after a reload, goes on with a new run of) take {@code take} from this stream's camera. */
  async start(take, stream) {
    const type = videoType();
    const track = stream && stream.getVideoTracks()[0];
    if (!type || !track || track.readyState !== 'live') return;
    const before = await this.takes.store.track(take, this.takes.participant, 'video');
    this.take = take;
    this.index = before ? before.nextIndex : 0;
    this.segment = before ? before.segment + 1 : 0;
    this.offset = 0;
    this.held = null; // the newest part: it leaves when more follows, or as the take's last at stop
    this.saving = Promise.resolve();
    const recorder = new MediaRecorder(new MediaStream([track]), { mimeType: type,
      videoBitsPerSecond: this.bitsPerSecond });
    this.recorder = recorder;
    this.stats.mimeType = recorder.mimeType || type;
    this.stopped = new Promise((resolve) => recorder.addEventListener('stop', resolve, { once: true }));
    // The run's stamp: when start() was called (the file's timestamps count from then). Measured against the
    // camera's own frame stamps in LocalVideoTakeBrowserTest; the start event came 50-60 ms later there.
    const started = new Promise((resolve) => recorder.addEventListener('start', (e) => {
      this.stats.startEventUs = pageUs(e.timeStamp);
      resolve();
    }, { once: true }));
    recorder.addEventListener('dataavailable', (e) => {
      const untilMs = Math.max(0, Math.round(performance.now() - this.startMs));
      this.stats.blobs++;
      this.saving = this.saving.then(() => this.onData(recorder, e.data, untilMs))
        .catch((err) => { this.stats.lastError = `could not keep a camera chunk: ${err}`; this.takes.changed(); });
    });
    const failed = new Promise((resolve) => recorder.addEventListener('error', (e) => {
      this.stats.lastError = `camera recording failed: ${e.error ? e.error.name : 'error'}`;
      this.takes.changed();
      resolve();
    }));
    this.startMs = performance.now();
    this.stats.startUs = this.startUs = pageUs(this.startMs);
    recorder.start(TAKE_VIDEO.timesliceMs);
    await Promise.race([started, failed]);
  }

  async onData(recorder, blob, untilMs) {
    if (!blob || blob.size === 0) return;
    const bytes = new Uint8Array(await blob.arrayBuffer());
    this.stats.recordedMs = untilMs;
    for (let at = 0; at < bytes.length; at += TAKE_VIDEO.maxChunkBytes) {
      const part = bytes.slice(at, Math.min(bytes.length, at + TAKE_VIDEO.maxChunkBytes));
      if (this.held) await this.cut(this.held, false);
      this.held = { data: part, untilMs };
    }
  }

  /** Makes the held part a chunk: kept in IndexedDB with the run's position, then queued for upload. */
  async cut(part, last) {
    this.held = null;
    const conn = this.takes.conn;
    const chunk = {
      kind: 'video', take: this.take, participant: this.takes.participant, index: this.index++,
      segment: this.segment, offset: this.offset, bytes: part.data.length, startUs: this.startUs,
      untilMs: part.untilMs, offsetUs: conn.offsetUs ?? 0, rttUs: conn.rttUs ?? 60_000_000, last,
      mimeType: this.stats.mimeType, data: part.data.buffer,
    };
    this.offset += part.data.length;
    this.stats.chunksMade++;
    chunk.sha256 = await this.takes.digest(chunk.data);
    await this.takes.store.keep(chunk, { take: this.take, participant: this.takes.participant,
      nextIndex: this.index, segment: this.segment }, 'video');
    this.takes.enqueue(chunk);
  }

  /** The scene ended: what the recorder still holds comes in, and the newest part becomes the take's last. */
  async stop() {
    const recorder = this.recorder;
    if (!recorder) return;
    if (recorder.state !== 'inactive') recorder.stop();
    await this.stopped;
    await this.saving;
    if (this.held) await this.cut(this.held, true);
    this.recorder = null;
    this.takes.changed();
  }
}
