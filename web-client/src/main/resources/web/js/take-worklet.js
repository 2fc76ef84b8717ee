// AudioWorklet of the local take: copies the microphone's samples (first channel) in blocks of 2400 frames
// (50 ms at 48 kHz) to the page, each with the context frame of its first sample, so that the page knows exactly
// which sample was captured when. Runs on the audio thread: no sample is lost to a busy page.
class TakeCaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = new Float32Array(2400);
    this.filled = 0;
    this.firstFrame = -1;
    this.on = true;
    this.port.onmessage = (e) => { if (e.data === 'stop') this.on = false; };
  }

  process(inputs) {
    if (!this.on) return false;
    const channel = inputs[0] && inputs[0][0];
    // a quantum without input (the track not started yet) is silence of the same length: the clock runs on
    const n = channel ? channel.length : 128;
    for (let i = 0; i < n; i++) {
      if (this.filled === 0) this.firstFrame = currentFrame + i;
      this.block[this.filled++] = channel ? channel[i] : 0;
      if (this.filled === this.block.length) {
        this.port.postMessage({ frame: this.firstFrame, samples: this.block }, [this.block.buffer]);
        this.block = new Float32Array(2400);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor('improv-take-capture', TakeCaptureProcessor);
