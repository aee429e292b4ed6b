// The board's alarm for a new critical alert: a beep (WebAudio: no file, nothing to fetch) and
// the page title. Browsers let a page make sound only after a person has touched it: until
// then, `blocked` is true and the board offers a button that enables it.

const BEEP_HZ = [880, 660, 880];
const BEEP_S = 0.18;

export class Alarm {
  constructor() {
    this.audio = null;
    this.count = 0;
    this.unlock = () => this.resume();
    for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, this.unlock, { capture: true });
  }

  get blocked() {
    return !this.audio || this.audio.state !== "running";
  }

  resume() {
    try {
      this.audio ??= new AudioContext();
      return this.audio.resume();
    } catch {
      return Promise.resolve();
    }
  }

  // Sound the alarm once; the number of times it sounded is kept for whoever checks.
  sound() {
    this.count += 1;
    if (this.blocked) return;
    const now = this.audio.currentTime;
    BEEP_HZ.forEach((hz, i) => {
      const oscillator = this.audio.createOscillator();
      const gain = this.audio.createGain();
      oscillator.frequency.value = hz;
      gain.gain.setValueAtTime(0.25, now + i * BEEP_S);
      gain.gain.exponentialRampToValueAtTime(0.001, now + (i + 1) * BEEP_S);
      oscillator.connect(gain).connect(this.audio.destination);
      oscillator.start(now + i * BEEP_S);
      oscillator.stop(now + (i + 1) * BEEP_S);
    });
  }

  close() {
    for (const type of ["pointerdown", "keydown"]) document.removeEventListener(type, this.unlock, { capture: true });
    this.audio?.close();
  }
}
