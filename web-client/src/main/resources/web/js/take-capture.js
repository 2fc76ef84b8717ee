// Where the local take's samples come from (docs/recording.md, "The page"). Two sources with one interface:
//
// - ProcessorCapture (preferred): a MediaStreamTrackProcessor on the microphone gives AudioData straight from the
//   capture path, each with its capture timestamp on this page's performance.now() clock and no WebAudio buffer in
//   between, so every sample is placed by the device's own stamps (a frame the reader missed leaves a gap in the
//   stamps, which is filled with silence of the same length: a sample's position stays its time). The device's
//   rate (Chromium's fake device: 44.1 kHz) is converted to 48 kHz by a windowed-sinc resampler of zero phase.
// - WorkletCapture (fallback where the processor is missing): an AudioWorklet copies the AudioContext's input;
//   its stamps follow the render clock through the arrival envelope and cannot see what WebAudio's input buffer
//   pads or drops (measured: 10-20 ms slips, an offset of its own per context).
//
// Both call onSamples(Float32Array at 48 kHz) in order and answer stampUs(n): the page clock (µs since the epoch)
// at which the n-th sample of the capture run was captured.

export const CAPTURE_RATE = 48000;

/**
 * A streaming resampler: output sample j is the band-limited value at input position j · inRate / outRate
 * (a symmetric Blackman-windowed sinc of 2 · halfTaps input samples, so no delay is added to the stamps).
 */
export class Resampler {
  constructor(inRate, outRate, halfTaps = 16) {
    this.step = inRate / outRate;
    this.halfTaps = halfTaps;
    this.history = new Float32Array(0);
    this.base = 0; // input index of history[0]
    this.nextOut = 0;
    const cutoff = 0.97 * Math.min(inRate, outRate) / inRate; // of the input's sampling rate: below both Nyquists
    this.resolution = 64;
    this.table = new Float32Array(halfTaps * this.resolution + 2);
    for (let i = 0; i < this.table.length; i++) {
      const t = i / this.resolution;
      const sinc = t === 0 ? 1 : Math.sin(Math.PI * cutoff * t) / (Math.PI * cutoff * t);
      const w = t >= halfTaps ? 0 : 0.42 + 0.5 * Math.cos(Math.PI * t / halfTaps) + 0.08 * Math.cos(2 * Math.PI * t / halfTaps);
      this.table[i] = cutoff * sinc * w;
    }
  }

  kernel(t) {
    const p = Math.abs(t) * this.resolution;
    const i = Math.floor(p);
    return this.table[i] + (this.table[i + 1] - this.table[i]) * (p - i);
  }

  /** @return the output samples that these input samples complete (the last halfTaps wait for their neighbours) */
  push(input) {
    const merged = new Float32Array(this.history.length + input.length);
    merged.set(this.history);
    merged.set(input, this.history.length);
    const end = this.base + merged.length; // first input index not yet here
    const out = [];
    for (;;) {
      const x = this.nextOut * this.step;
      const center = Math.floor(x);
      if (center + this.halfTaps >= end) break;
      let v = 0;
      for (let k = center - this.halfTaps + 1; k <= center + this.halfTaps; k++) {
        if (k >= this.base) v += merged[k - this.base] * this.kernel(x - k);
      }
      out.push(v);
      this.nextOut++;
    }
    const keepFrom = Math.max(this.base, Math.floor(this.nextOut * this.step) - this.halfTaps);
    this.history = merged.slice(keepFrom - this.base);
    this.base = keepFrom;
    return Float32Array.from(out);
  }
}

/** Samples and capture timestamps from a MediaStreamTrackProcessor (see the top of this file). */
export class ProcessorCapture {
  static available() {
    return typeof window.MediaStreamTrackProcessor === 'function' && typeof window.AudioData === 'function';
  }

  constructor(track, onSamples) {
    this.kind = 'processor';
    this.track = track; // its `enabled` is honoured: a muted microphone records silence
    this.onSamples = onSamples;
    this.anchors = []; // [input index, timestamp µs on performance.now()] per frame still needed for a stamp
    this.info = { kind: this.kind, deviceRate: null, frames: 0, gapsFilledUs: 0, gaps: 0, overlaps: 0 };
  }

  async start() {
    this.clone = this.track.clone(); // our own end of the track: stopping it stops nobody else's
    // 3 s of 10 ms frames wait for a busy page before the processor drops any (a drop is filled by its stamps)
    const processor = new window.MediaStreamTrackProcessor({ track: this.clone, maxBufferSize: 300 });
    this.reader = processor.readable.getReader();
    this.running = this.read();
  }

  async read() {
    for (;;) {
      let r;
      try {
        r = await this.reader.read();
      } catch (e) {
        return;
      }
      if (r.done) return;
      try {
        this.frame(r.value);
      } finally {
        r.value.close();
      }
    }
  }

  frame(data) {
    const n = data.numberOfFrames;
    const rate = data.sampleRate;
    if (this.resampler === undefined) {
      this.rate = rate;
      this.info.deviceRate = rate;
      this.resampler = rate === CAPTURE_RATE ? null : new Resampler(rate, CAPTURE_RATE);
      this.inIndex = 0;
      this.nextUs = data.timestamp;
    }
    if (rate !== this.rate) return; // a device that changes its rate mid-run: not seen; its frames are not mixed in
    const frameUs = n * 1e6 / rate;
    const gapUs = data.timestamp - this.nextUs;
    if (gapUs > frameUs / 2) { // frames the reader never got: silence of their length keeps the time
      const missing = Math.round(gapUs * rate / 1e6);
      this.info.gaps++;
      this.info.gapsFilledUs += Math.round(gapUs);
      this.feed(new Float32Array(missing));
    } else if (gapUs < -frameUs / 2) {
      this.info.overlaps++;
    }
    this.anchors.push([this.inIndex, data.timestamp]);
    const samples = new Float32Array(n);
    if (this.track.enabled) data.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
    this.feed(samples);
    this.nextUs = data.timestamp + frameUs;
    this.info.frames++;
  }

  feed(samples) {
    this.inIndex += samples.length;
    const out = this.resampler ? this.resampler.push(samples) : samples;
    if (out.length) this.onSamples(out);
  }

  /** The capture time of the run's n-th output sample: from the stamp of the device frame that holds it. */
  stampUs(n) {
    const x = n * this.rate / CAPTURE_RATE; // its position in the device's samples
    while (this.anchors.length > 1 && this.anchors[1][0] <= x) this.anchors.shift();
    const [index, us] = this.anchors[0];
    return Math.round(performance.timeOrigin * 1000 + us + (x - index) * 1e6 / this.rate);
  }

  async stop() {
    this.track = { enabled: false };
    await this.reader.cancel().catch(() => {});
    this.clone.stop();
    if (this.resampler) { // the last samples' neighbours: silence after the end
      const out = this.resampler.push(new Float32Array(this.resampler.halfTaps + 1));
      if (out.length) this.onSamples(out);
    }
  }
}

/** The fallback: an AudioWorklet on an AudioContext at 48 kHz, stamped by the arrival envelope. */
export class WorkletCapture {
  static available() {
    return typeof window.AudioWorkletNode === 'function';
  }

  constructor(track, onSamples) {
    this.kind = 'worklet';
    this.track = track;
    this.onSamples = onSamples;
    this.originMs = Infinity;
    this.minima = [];
    this.minSecond = -1;
    this.firstFrame = null;
    this.info = { kind: this.kind, deviceRate: null };
  }

  async start() {
    this.context = new AudioContext({ sampleRate: CAPTURE_RATE, latencyHint: 'interactive' });
    await this.context.audioWorklet.addModule(new URL('./take-worklet.js', import.meta.url));
    const source = this.context.createMediaStreamSource(new MediaStream([this.track]));
    const node = new AudioWorkletNode(this.context, 'improv-take-capture', { numberOfInputs: 1, numberOfOutputs: 1,
      channelCount: 1, channelCountMode: 'explicit' });
    node.port.onmessage = (e) => this.block(e.data.frame, e.data.samples);
    source.connect(node);
    const silence = this.context.createGain();
    silence.gain.value = 0;
    node.connect(silence).connect(this.context.destination); // pulled by the graph, heard by nobody
    if (this.context.state !== 'running') await this.context.resume().catch(() => {});
    this.node = node;
  }

  block(frame, samples) {
    if (!this.node) return;
    if (this.firstFrame === null) this.firstFrame = frame;
    this.trackOrigin(performance.now() - (frame + samples.length) / CAPTURE_RATE * 1000, frame);
    this.onSamples(samples);
  }

  /**
   * The context's origin on the page clock: each block reaches the page after its last sample was rendered, so
   * (arrival − position of the block's end) is never earlier than the true origin; the minimum over the last 10 s
   * (ten one-second minima) is the tightest bound and follows an audio clock that drifts against the page's.
   */
  trackOrigin(candidate, frame) {
    const second = Math.floor(frame / CAPTURE_RATE);
    if (this.minSecond !== second) {
      this.minSecond = second;
      this.minima.push(candidate);
      if (this.minima.length > 10) this.minima.shift();
    } else if (candidate < this.minima[this.minima.length - 1]) {
      this.minima[this.minima.length - 1] = candidate;
    }
    this.originMs = Math.min(...this.minima);
  }

  stampUs(n) {
    return Math.round((performance.timeOrigin + this.originMs + (this.firstFrame + n) / CAPTURE_RATE * 1000) * 1000);
  }

  async stop() {
    const node = this.node;
    this.node = null;
    node.port.postMessage('stop');
    node.disconnect();
    this.context.close().catch(() => {});
  }
}

/** The capture for this browser: the processor where it exists, else the worklet; null when neither does. */
export function captureFor(track, onSamples, prefer = 'processor') {
  if (prefer !== 'worklet' && ProcessorCapture.available()) return new ProcessorCapture(track, onSamples);
  if (WorkletCapture.available()) return new WorkletCapture(track, onSamples);
  return null;
}
