/**
 * Timestamps are integer microseconds since the Unix epoch internally, and
 * RFC 3339 UTC with exactly six fractional digits on the wire.
 */
export type Micros = number;

export function nowMicros(): Micros {
  // performance.timeOrigin + now() gives sub-millisecond wall-clock resolution.
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/** `2026-11-24T16:20:03` by whole second: every read of a resource formats the same few instants. */
const secondTexts = new Map<number, string>();

export function formatTimestamp(us: Micros): string {
  const seconds = Math.floor(us / 1_000_000);
  let text = secondTexts.get(seconds);
  if (text === undefined) {
    text = new Date(seconds * 1000).toISOString().slice(0, 19); // 2026-11-24T16:20:03
    if (secondTexts.size >= 4096) secondTexts.clear();
    secondTexts.set(seconds, text);
  }
  const micro = String(us - seconds * 1_000_000).padStart(6, '0');
  return `${text}.${micro}Z`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp to microseconds (truncating below a microsecond); undefined if invalid. */
export function parseTimestamp(text: string): Micros | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  const base = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone!.toUpperCase() === 'Z' ? 'Z' : zone}`);
  if (Number.isNaN(base)) return undefined;
  const micros = Number((frac + '000000').slice(0, 6));
  return base * 1000 + micros;
}

/** Minimum gap between two activities of one session (1 ms), so clients comparing milliseconds never see ties. */
export const ACTIVITY_GAP_MICROS = 1000;

/** The createTime for the next activity of a session: the wall clock, but at least 1 ms after the previous one. */
export function nextActivityTime(now: Micros, previous: Micros): Micros {
  return Math.max(now, previous + ACTIVITY_GAP_MICROS);
}
