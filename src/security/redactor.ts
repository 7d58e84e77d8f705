/**
 * Replaces secret values with `***` wherever they appear: in command output, activities, patches
 * and log lines. Each value is also matched as it looks JSON-escaped, URL-encoded and base64-encoded,
 * and each long line of a multi-line secret (a PEM key) on its own.
 */
export const REDACTED = '***';

/** Values shorter than this are refused as secrets: redacting them would mangle ordinary text. */
export const MIN_SECRET_LENGTH = 6;
const MIN_LINE_LENGTH = 12;

function variants(value: string): string[] {
  const out = new Set<string>([value]);
  out.add(JSON.stringify(value).slice(1, -1));
  out.add(encodeURIComponent(value));
  out.add(Buffer.from(value, 'utf8').toString('base64').replace(/=+$/, ''));
  if (value.includes('\n')) {
    for (const line of value.split(/\r?\n/)) {
      if (line.trim().length >= MIN_LINE_LENGTH) out.add(line.trim());
    }
  }
  return [...out].filter((v) => v.length >= MIN_SECRET_LENGTH);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class Redactor {
  readonly #pattern: RegExp | undefined;
  readonly #values: readonly string[];

  constructor(values: Iterable<string>) {
    const all = new Set<string>();
    for (const v of values) for (const x of variants(v)) all.add(x);
    // Longest first, so a value containing another is replaced whole.
    this.#values = [...all].sort((a, b) => b.length - a.length);
    this.#pattern =
      this.#values.length > 0 ? new RegExp(this.#values.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  get active(): boolean {
    return this.#pattern !== undefined;
  }

  text(s: string): string {
    if (!this.#pattern) return s;
    let out = s.replace(this.#pattern, REDACTED);
    // Output cut off by a size limit may end in the first part of a secret.
    const cut = out.lastIndexOf('\n[output truncated: ');
    if (cut >= 0) out = this.#redactTail(out.slice(0, cut)) + out.slice(cut);
    return out;
  }

  /** Redacts every string inside plain JSON-like data (objects, arrays), returning a copy. */
  deep<T>(value: T): T {
    if (!this.#pattern) return value;
    return this.#deep(value) as T;
  }

  #deep(v: unknown): unknown {
    if (typeof v === 'string') return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.#deep(x));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.#deep(x);
      return out;
    }
    return v;
  }

  /** Replaces a trailing prefix (>= 4 chars) of any secret at the very end of `s`. */
  #redactTail(s: string): string {
    for (const v of this.#values) {
      for (let n = Math.min(v.length - 1, s.length); n >= 4; n--) {
        if (s.endsWith(v.slice(0, n))) return `${s.slice(0, s.length - n)}${REDACTED}`;
      }
    }
    return s;
  }
}

/**
 * The secret values this process has handed to commands, for scrubbing log lines (pino's
 * streamWrite hook). Values are added when a session's secrets are loaded and kept for the
 * process's life: a log line about a session may be written after it ends.
 */
export class LogScrubber {
  readonly #values = new Set<string>();
  #redactor = new Redactor([]);

  add(values: Iterable<string>): void {
    let grew = false;
    for (const v of values) {
      if (!this.#values.has(v)) {
        this.#values.add(v);
        grew = true;
      }
    }
    if (grew) this.#redactor = new Redactor(this.#values);
  }

  readonly scrub = (line: string): string => this.#redactor.text(line);
}

/** The process-wide scrubber the server's logger uses. */
export const logScrubber = new LogScrubber();
