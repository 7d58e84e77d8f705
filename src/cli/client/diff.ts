/** Unified diffs for people: per-file summary and colouring. */
import { type DiffFile, parseUnifiedDiff } from '../../domain/unified-diff.ts';
import type { Style } from './terminal.ts';

export interface FileStat {
  path: string;
  /** A added, D deleted, R renamed, M modified. */
  status: 'A' | 'D' | 'R' | 'M';
  added: number;
  removed: number;
  binary: boolean;
}

const STATUS: Record<DiffFile['status'], FileStat['status']> = {
  added: 'A',
  deleted: 'D',
  renamed: 'R',
  copied: 'M',
  modified: 'M',
};

export function diffStat(patch: string): FileStat[] {
  return parseUnifiedDiff(patch).map((f) => ({
    path: f.path,
    status: STATUS[f.status],
    added: f.additions,
    removed: f.deletions,
    binary: f.binary,
  }));
}

export function statLines(files: FileStat[], style: Style): string[] {
  return files.map((f) => {
    const counts = f.binary
      ? style.dim('binary')
      : `${style.green(`+${f.added}`)} ${style.red(`-${f.removed}`)}`;
    return `${f.status} ${f.path}  ${counts}`;
  });
}

export function colorDiffLine(line: string, style: Style): string {
  if (line.startsWith('diff --git') || line.startsWith('+++') || line.startsWith('---'))
    return style.bold(line);
  if (line.startsWith('@@')) return style.cyan(line);
  if (line.startsWith('+')) return style.green(line);
  if (line.startsWith('-')) return style.red(line);
  if (/^(index|new file mode|deleted file mode|similarity|rename |old mode|new mode)/.test(line)) {
    return style.dim(line);
  }
  return line;
}

/** The patch coloured line by line; at most `maxLines` lines (0 = all), then a note of how many were left. */
export function colorDiff(patch: string, style: Style, maxLines = 0): string[] {
  const lines = patch.replace(/\n$/, '').split('\n');
  const shown = maxLines > 0 ? lines.slice(0, maxLines) : lines;
  const out = shown.map((l) => colorDiffLine(l, style));
  if (shown.length < lines.length) out.push(style.dim(`… ${lines.length - shown.length} more lines`));
  return out;
}
