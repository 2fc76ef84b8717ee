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

/**
 * When the first camera frame captured after {@code startMs} was captured ({@code ms}, on performance.now()), or null where the
 * browser cannot tell: the recorder's file counts its time from that frame, which comes up to a frame interval after
 * start() (measured: placing the file by the start() call alone put it 1-34 ms early). For two to five seconds a
 * clone of the track is read (every frame's capture stamp) and the self view's frames are watched (requestVideoFrameCallback's
 * captureTime). Chromium stamps camera frames on the system's monotonic clock, not on performance.now(); the self
 * view's captureTime is the same capture on performance.now(), so the difference of the two clocks is the value
 * that most pairs of (stamp, captureTime) share. Without the self view it is estimated from the reads alone (a
 * frame's stamp minus the time it was read, the largest: late by the quickest read's delay, 1-65 ms measured).
 */
async function firstFrameAfter(track, startMs, view) {
  if (typeof window.MediaStreamTrackProcessor !== 'function') return null;
  const clone = track.clone();
  const reader = new MediaStreamTrackProcessor({ track: clone, maxBufferSize: 300 }).readable.getReader();
  const frames = [];
  const captures = [];
  let watching = !!(view && typeof view.requestVideoFrameCallback === 'function');
  const onFrame = (now, meta) => {
    if (typeof meta.captureTime === 'number') captures.push(meta.captureTime);
    if (watching) view.requestVideoFrameCallback(onFrame);
  };
  if (watching) view.requestVideoFrameCallback(onFrame);
  let monoMinusPageMs = -Infinity;
  // two seconds, longer (up to five) while the self view has shown fewer than 10 frames: right after a reload, or
  // on a busy machine, it starts late (then the reads alone were 65 ms off)
  const started = performance.now();
  const enough = () => performance.now() - started > 5000
    || (performance.now() - started > 2000 && (captures.length >= 10 || !watching));
  try {
    while (frames.length < 300 && !enough()) {
      const { value, done } = await reader.read();
      if (done) break;
      const stampMs = value.timestamp / 1000;
      monoMinusPageMs = Math.max(monoMinusPageMs, stampMs - performance.now());
      frames.push(stampMs);
      value.close();
    }
  } finally {
    watching = false;
    reader.cancel().catch(() => {});
    clone.stop();
  }
  const shared = sharedDifference(frames, captures, monoMinusPageMs);
  const first = frames.map((ms) => ms - (shared ?? monoMinusPageMs)).find((ms) => ms >= startMs);
  if (first === undefined || frames.length < 3) return null;
  // ms: the frame's capture on performance.now(); the rest for diagnostics
  return { ms: first, clocks: shared !== null ? 'self view' : 'reads', frames: frames.length, captures: captures.length };
}

/**
 * The clock difference that the most (monotonic stamp, performance.now() capture time) pairs share within 0.25 ms
 * (the same frames: exactly; other pairs spread with the frames' jitter), among the values the reads allow (a
 * frame cannot be read before it was captured: at least {@code lowerMs}, and within 200 ms of it); null when fewer
 * than three pairs agree.
 */
function sharedDifference(stamps, captures, lowerMs) {
  const bins = new Map();
  for (const p of stamps) {
    for (const c of captures) {
      const d = p - c;
      if (d < lowerMs - 0.5 || d > lowerMs + 200) continue;
      const bin = Math.round(d * 4);
      const b = bins.get(bin) || { n: 0, sum: 0 };
      b.n++;
      b.sum += d;
      bins.set(bin, b);
    }
  }
  let best = null;
  for (const b of bins.values()) if (!best || b.n > best.n) best = b;
  return best && best.n >= 3 ? best.sum / best.n : null;
}

export class CameraRecorder {
  /**
   * @param {object} opts
   * @param {import('./take-recorder.js').TakeRecorder} opts.takes the take's uploader: its store, clock and queue
   * @param {number} opts.bitsPerSecond what the server asks for (its --take-video-bitrate)
   * @param {() => HTMLVideoElement|null} [opts.selfView] the page's own camera view (for the frames' capture times)
   */
  constructor({ takes, bitsPerSecond, selfView }) {
    this.takes = takes;
    this.bitsPerSecond = bitsPerSecond;
    this.selfView = selfView || (() => null);
    this.recorder = null;
    this.stats = { recordedMs: 0, chunksMade: 0, blobs: 0, mimeType: null, startUs: null, lastError: null };
  }

  get recording() {
    return !!this.recorder;
  }

  /** Starts (or, after a reload, goes on with a new run of) take {@code take} from this stream's camera. */
  async start(take, stream) {
    if (this.starting || this.recorder) return; // one recorder at a time: the page may ask again while it starts
    this.starting = true;
    try {
      await this.begin(take, stream);
    } finally {
      this.starting = false;
    }
  }

  async begin(take, stream) {
    const type = videoType();
    const track = stream && stream.getVideoTracks()[0];
    if (!type || !track || track.readyState !== 'live') return;
    const before = await this.takes.store.track(take, this.takes.participant, 'video');
    this.take = take;
    this.index = before ? before.nextIndex : 0;
    this.segment = before ? before.segment + 1 : 0;
    this.offset = 0;
    this.held = null; // the newest part: it leaves when more follows, or as the take's last at stop
    const recorder = new MediaRecorder(new MediaStream([track]), { mimeType: type,
      videoBitsPerSecond: this.bitsPerSecond });
    this.recorder = recorder;
    this.stats.mimeType = recorder.mimeType || type;
    this.stopped = new Promise((resolve) => recorder.addEventListener('stop', resolve, { once: true }));
    // The run's stamp: the capture of the first frame after start() (the file's timestamps count from it), else
    // the start() call. Measured against the camera's own frame stamps in LocalVideoTakeBrowserTest; the start event
    // came 10-67 ms after start() there, so it is not used.
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
    this.stats.startCallUs = this.stats.startUs = this.startUs = pageUs(this.startMs);
    this.stats.stamp = 'start()';
    // chunks wait for the stamp (every chunk of the run carries it); the first comes after about a second
    this.saving = firstFrameAfter(track, this.startMs, this.selfView()).then((found) => {
      if (found !== null && this.recorder === recorder) {
        this.stats.startUs = this.startUs = pageUs(found.ms);
        this.stats.stamp = `first frame (clocks matched by the ${found.clocks}: ${found.frames} frames, `
          + `${found.captures} shown)`;
      }
    }).catch(() => {});
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
    // a recorder that failed to start may never say 'stop': the scene's end must not wait for it
    await Promise.race([this.stopped, new Promise((resolve) => setTimeout(resolve, 3000))]);
    await this.saving;
    if (this.held) await this.cut(this.held, true);
    this.recorder = null;
    this.takes.changed();
  }
}
