// Parses `git diff --raw -z` and `git diff --numstat -z` into a per-file change list.

export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed';

export interface ChangedFile {
  /** Path after the change (for a deletion: the deleted path). */
  path: string;
  /** Path before a rename. */
  oldPath?: string;
  status: ChangeStatus;
  /** Lines added / deleted; 0 and 0 for binary files. */
  additions: number;
  deletions: number;
  binary: boolean;
}

/** One `--raw` record: modes, blob ids and paths. */
export interface RawEntry {
  srcMode: string;
  dstMode: string;
  srcId: string;
  dstId: string;
  letter: string;
  path: string;
  oldPath?: string;
}

export function parseRawZ(out: string): RawEntry[] {
  const tokens = out.split('\0');
  const entries: RawEntry[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const head = tokens[i]!;
    if (head === '') continue;
    const m = /^:(\d+) (\d+) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])\d*$/.exec(head);
    if (!m) throw new Error(`Unexpected git diff --raw record: ${JSON.stringify(head.slice(0, 200))}`);
    const letter = m[5]!;
    const base = { srcMode: m[1]!, dstMode: m[2]!, srcId: m[3]!, dstId: m[4]!, letter };
    if (letter === 'R' || letter === 'C') {
      entries.push({ ...base, oldPath: tokens[i + 1]!, path: tokens[i + 2]! });
      i += 2;
    } else {
      entries.push({ ...base, path: tokens[i + 1]! });
      i += 1;
    }
  }
  return entries;
}

export interface LineCounts {
  additions: number;
  deletions: number;
  binary: boolean;
}

/** Maps each (new) path to its line counts. */
export function parseNumstatZ(out: string): Map<string, LineCounts> {
  const tokens = out.split('\0');
  const counts = new Map<string, LineCounts>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '') continue;
    const m = /^(\d+|-)\t(\d+|-)\t([\s\S]*)$/.exec(token);
    if (!m) throw new Error(`Unexpected git diff --numstat record: ${JSON.stringify(token.slice(0, 200))}`);
    let path = m[3]!;
    if (path === '') {
      // Rename: the old and new paths follow as two more NUL-terminated fields.
      path = tokens[i + 2]!;
      i += 2;
    }
    const binary = m[1] === '-' || m[2] === '-';
    counts.set(path, {
      additions: binary ? 0 : Number(m[1]),
      deletions: binary ? 0 : Number(m[2]),
      binary,
    });
  }
  return counts;
}

const STATUS_BY_LETTER: Record<string, ChangeStatus> = {
  A: 'added',
  C: 'added',
  D: 'deleted',
  R: 'renamed',
};

export function toChangedFiles(raw: readonly RawEntry[], counts: Map<string, LineCounts>): ChangedFile[] {
  return raw.map((entry) => {
    const c = counts.get(entry.path) ?? { additions: 0, deletions: 0, binary: false };
    const file: ChangedFile = {
      path: entry.path,
      status: STATUS_BY_LETTER[entry.letter] ?? 'modified',
      additions: c.additions,
      deletions: c.deletions,
      binary: c.binary,
    };
    if (entry.letter === 'R' && entry.oldPath !== undefined) file.oldPath = entry.oldPath;
    return file;
  });
}
