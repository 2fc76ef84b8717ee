// AudioWorklet: the RMS level of the microphone over blocks of about 20 ms, posted to the page. Runs on the
// audio thread, so every sample is measured (a short beep between two timer ticks is not missed).
class LevelProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.sum = 0;
    this.count = 0;
    this.block = Math.round(sampleRate / 50);
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) {
      for (let i = 0; i < channel.length; i++) this.sum += channel[i] * channel[i];
      this.count += channel.length;
      if (this.count >= this.block) {
        this.port.postMessage(Math.sqrt(this.sum / this.count));
        this.sum = 0;
        this.count = 0;
      }
    }
    return true;
  }
}

registerProcessor('improv-level', LevelProcessor);
