/** A spinner status line kept at the bottom of a terminal while other lines scroll above it. */
import { truncate } from './format.ts';
import type { OutStream, Style } from './terminal.ts';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR = '\r\x1b[2K';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

export class LiveLine {
  #stream: OutStream;
  #style: Style;
  #status: () => string;
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;
  #restore = () => this.#stream.write(CLEAR + SHOW_CURSOR);

  /** `status` gives the plain text after the spinner; it is re-read on every frame. */
  constructor(stream: OutStream, style: Style, status: () => string) {
    this.#stream = stream;
    this.#style = style;
    this.#status = status;
  }

  start(intervalMs = 100): void {
    if (this.#timer) return;
    this.#stream.write(HIDE_CURSOR);
    process.once('exit', this.#restore);
    this.#draw();
    this.#timer = setInterval(() => {
      this.#frame = (this.#frame + 1) % FRAMES.length;
      this.#draw();
    }, intervalMs);
  }

  /** Writes lines above the status line. */
  print(lines: string[]): void {
    if (lines.length === 0) return;
    this.#stream.write(`${this.#timer ? CLEAR : ''}${lines.join('\n')}\n`);
    if (this.#timer) this.#draw();
  }

  /** Redraws now (after the status changed). */
  refresh(): void {
    if (this.#timer) this.#draw();
  }

  stop(): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stream.write(CLEAR + SHOW_CURSOR);
    process.off('exit', this.#restore);
  }

  #draw(): void {
    const width = (this.#stream.columns ?? 80) - 3;
    const text = truncate(this.#status(), Math.max(10, width));
    this.#stream.write(`${CLEAR}${this.#style.cyan(FRAMES[this.#frame]!)} ${text}`);
  }
}
