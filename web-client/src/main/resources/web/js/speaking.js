// Local voice activity: the microphone's RMS level against a threshold, with a hangover so that the short
// pauses inside speech do not split it. Calls onChange(true|false, atMicros) on each transition, where
// atMicros is when the transition happened by this browser's clock (start: first loud block; stop: last loud
// block + nothing more for the hangover).

import { nowMicros } from './connection.js';

export const DEFAULTS = Object.freeze({
  /** RMS of full scale (1.0). 0.01 is about -40 dBFS: quiet speech near a laptop microphone is above it. */
  threshold: 0.01,
  hangoverMs: 300,
});

export class SpeakingDetector {
  constructor(stream, onChange, options = {}) {
    this.stream = stream;
    this.onChange = onChange;
    this.threshold = options.threshold ?? DEFAULTS.threshold;
    this.hangoverMs = options.hangoverMs ?? DEFAULTS.hangoverMs;
    this.speaking = false;
    this.lastLoudUs = 0;
    this.level = 0;
    this.enabled = true;
    this.context = null;
  }

  async start() {
    this.context = new AudioContext();
    await this.context.audioWorklet.addModule(new URL('./level-worklet.js', import.meta.url));
    const source = this.context.createMediaStreamSource(this.stream);
    const node = new AudioWorkletNode(this.context, 'improv-level');
    node.port.onmessage = (e) => this.onLevel(e.data);
    source.connect(node);
    // the node must reach the destination to be pulled; a zero gain keeps it silent
    const silence = this.context.createGain();
    silence.gain.value = 0;
    node.connect(silence).connect(this.context.destination);
    if (this.context.state !== 'running') await this.context.resume().catch(() => {});
  }

  /** A muted microphone does not speak: stops a running span at once. */
  setEnabled(enabled) {
    this.enabled = enabled;
    if (!enabled && this.speaking) {
      this.speaking = false;
      this.onChange(false, nowMicros());
    }
  }

  onLevel(rms) {
    this.level = rms;
    const now = nowMicros();
    if (!this.enabled) return;
    if (rms >= this.threshold) {
      this.lastLoudUs = now;
      if (!this.speaking) {
        this.speaking = true;
        this.onChange(true, now);
      }
    } else if (this.speaking && now - this.lastLoudUs >= this.hangoverMs * 1000) {
      this.speaking = false;
      this.onChange(false, this.lastLoudUs);
    }
  }

  stop() {
    if (this.context) this.context.close();
  }
}
