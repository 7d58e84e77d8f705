/**
 * Turns a command's raw output stream into progress-sized pieces: whole lines, decoded as UTF-8,
 * without terminal escape sequences, released at most every `intervalMs` (or when a lot piled up).
 */
import { StringDecoder } from 'node:string_decoder';

// CSI and OSC sequences, and the lone control characters of progress bars.
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
const MAX_PENDING = 256 * 1024;

export class OutputBatcher {
  readonly #decoder = new StringDecoder('utf8');
  readonly #intervalMs: number;
  readonly #maxChars: number;
  #pending = '';
  #dropped = 0;
  #lastFlush = Date.now();
  /** The last output seen, for the final message. */
  #tail = '';

  constructor(intervalMs: number, maxChars: number) {
    this.#intervalMs = intervalMs;
    this.#maxChars = maxChars;
  }

  push(chunk: Buffer): void {
    const text = this.#decoder.write(chunk);
    this.#pending += text;
    this.#tail = (this.#tail + text).slice(-64 * 1024);
    if (this.#pending.length > MAX_PENDING) {
      const cut = this.#pending.length - MAX_PENDING;
      this.#dropped += cut;
      this.#pending = this.#pending.slice(cut);
    }
  }

  /** Complete lines ready to show, or undefined when it is too early or nothing came. */
  take(final = false): string | undefined {
    if (final) this.#pending += this.#decoder.end();
    const due =
      final || Date.now() - this.#lastFlush >= this.#intervalMs || this.#pending.length >= this.#maxChars;
    if (!due) return undefined;
    const end = final ? this.#pending.length : this.#pending.lastIndexOf('\n') + 1;
    if (end <= 0) return undefined;
    let text = clean(this.#pending.slice(0, end));
    this.#pending = this.#pending.slice(end);
    this.#lastFlush = Date.now();
    if (this.#dropped > 0) {
      text = `[… ${this.#dropped} characters of output skipped …]\n${text}`;
      this.#dropped = 0;
    }
    if (text.length > this.#maxChars) text = `[…]\n${text.slice(text.length - this.#maxChars)}`;
    return text.trim() === '' ? undefined : text;
  }

  /** The last `max` characters of the whole output, cleaned. */
  tail(max: number): string {
    const t = clean(this.#tail).trim();
    return t.length > max ? `…${t.slice(t.length - max)}` : t;
  }
}

function clean(text: string): string {
  return text
    .replace(ANSI, '')
    .replace(/\r\n/g, '\n')
    .replace(/[^\n]*\r/g, '')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}
