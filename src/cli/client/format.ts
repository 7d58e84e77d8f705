/** Text helpers for the client's human output: tables, states, times. */
import type { Session } from './api-types.ts';
import { type Style, stripAnsi } from './terminal.ts';

export function stateLabel(state: string, style: Style): string {
  switch (state) {
    case 'COMPLETED':
      return style.green(state);
    case 'FAILED':
      return style.red(state);
    case 'AWAITING_PLAN_APPROVAL':
    case 'AWAITING_USER_FEEDBACK':
    case 'PAUSED':
      return style.yellow(state);
    default:
      return style.cyan(state);
  }
}

/** "12s ago", "5m ago", "3h ago", "4d ago". */
export function age(iso: string | undefined, now = Date.now()): string {
  const t = iso ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** "0:07", "12:30", "1:02:03". */
export function elapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Local wall-clock time of an RFC 3339 timestamp, HH:MM:SS. */
export function clock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '--:--:--';
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

export function truncate(s: string, width: number): string {
  const line = s.replace(/\s+/g, ' ').trim();
  if (width <= 1) return line.slice(0, Math.max(0, width));
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/** `sources/github/acme/widgets` -> `github/acme/widgets`. */
export const sourceId = (name: string | undefined) => (name ?? '').replace(/^sources\//, '');

export function sessionSource(s: Session): string {
  const src = s.sourceContext?.source;
  if (!src) return '(no repo)';
  const branch = s.sourceContext?.githubRepoContext?.startingBranch;
  return branch ? `${sourceId(src)}@${branch}` : sourceId(src);
}

/**
 * Aligned columns; the `flex` column (default the last) is cut to fit `width`. Cells may be styled:
 * widths are measured without escapes.
 */
export function table(
  header: string[],
  rows: string[][],
  style: Style,
  width: number,
  flex = header.length - 1,
) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => stripAnsi(r[i] ?? '').length)));
  const fixed = widths.reduce((sum, w, i) => (i === flex ? sum : sum + w + 2), 0);
  widths[flex] = Math.max(10, Math.min(widths[flex]!, width - fixed));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const text = i === flex && stripAnsi(c).length > widths[i]! ? truncate(stripAnsi(c), widths[i]!) : c;
        return i === cells.length - 1
          ? text
          : text + ' '.repeat(Math.max(0, widths[i]! - stripAnsi(text).length));
      })
      .join('  ')
      .trimEnd();
  return [style.bold(line(header)), ...rows.map(line)].join('\n') + '\n';
}
