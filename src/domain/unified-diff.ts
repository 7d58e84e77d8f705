/**
 * Parses `git diff` output (the changeSet's unidiffPatch) into files, hunks and numbered lines: the
 * one parser behind the web diff view, the CLI's file summary and the agent's `git_diff` tool.
 * Hunks are read by their header counts, so content lines that look like headers stay content.
 * Dependency-free (no Node, no DOM), so the browser code (tsconfig.web.json) can import it too.
 */

export type FileStatus = 'added' | 'deleted' | 'modified' | 'renamed' | 'copied';
export type LineKind = 'context' | 'add' | 'del' | 'note';

export interface DiffLine {
  kind: LineKind;
  text: string;
  oldNo?: number;
  newNo?: number;
}

export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** The text after the second `@@` (usually the enclosing function). */
  section: string;
  lines: DiffLine[];
}

export interface DiffFile {
  oldPath: string | undefined;
  newPath: string | undefined;
  /** The path to show: the new path, or the old one for a deleted file. */
  path: string;
  status: FileStatus;
  binary: boolean;
  oldMode?: string;
  newMode?: string;
  similarity?: number;
  additions: number;
  deletions: number;
  hunks: DiffHunk[];
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;

const QUOTED = '"(?:[^"\\\\]|\\\\.)*"';
const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '"': 34, '\\': 92 };
const utf8 = new TextEncoder();

/** Undoes git's C-style quoting of unusual paths ("a/caf\303\251.txt", "a/with space\t.txt"). */
export function unquotePath(text: string): string {
  if (!text.startsWith('"') || !text.endsWith('"') || text.length < 2) return text;
  const body = text.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      bytes.push(...utf8.encode(c));
      continue;
    }
    const next = body[i + 1] ?? '';
    const octal = /^[0-7]{3}/.exec(body.slice(i + 1));
    if (octal) {
      bytes.push(Number.parseInt(octal[0], 8) & 0xff);
      i += 3;
    } else {
      bytes.push(ESCAPES[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/**
 * `a/x` -> `x`; `/dev/null` -> undefined. What follows a tab after the name is dropped (timestamps,
 * or the bare tab git writes after `--- "a/name with space"`).
 */
function stripPrefix(raw: string): string | undefined {
  const quoted = new RegExp(`^${QUOTED}`).exec(raw);
  const text = quoted ? unquotePath(quoted[0]) : raw.replace(/\t.*$/, '');
  if (text === '/dev/null') return undefined;
  return /^[ab]\//.test(text) ? text.slice(2) : text;
}

/**
 * The two paths of a `diff --git a/X b/Y` header line. Either side may be C-quoted; two unquoted
 * paths with spaces are split where both sides name the same path, else before the last ` b/`.
 */
function headerPaths(rest: string): [string | undefined, string | undefined] {
  const both = new RegExp(`^(${QUOTED}) (${QUOTED}|\\S.*)$`).exec(rest);
  if (both) return [stripPrefix(both[1]!), stripPrefix(both[2]!)];
  const second = new RegExp(`^(.*\\S) (${QUOTED})$`).exec(rest);
  if (second) return [stripPrefix(second[1]!), stripPrefix(second[2]!)];
  const plain = /^(\S+) (\S+)$/.exec(rest);
  if (plain) return [stripPrefix(plain[1]!), stripPrefix(plain[2]!)];
  // Unquoted paths may contain spaces: prefer the split where both sides name the same path.
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest.slice(2, half) === rest.slice(half + 3) && rest[half] === ' ') {
    const p = rest.slice(2, half);
    return [p, p];
  }
  const at = rest.indexOf(' b/');
  return at > 0 ? [stripPrefix(rest.slice(0, at)), stripPrefix(rest.slice(at + 1))] : [undefined, undefined];
}

function newFile(oldPath: string | undefined, newPath: string | undefined): DiffFile {
  return {
    oldPath,
    newPath,
    path: newPath ?? oldPath ?? '',
    status: 'modified',
    binary: false,
    additions: 0,
    deletions: 0,
    hunks: [],
  };
}

function finish(file: DiffFile): DiffFile {
  if (file.oldPath === undefined && file.newPath !== undefined) file.status = 'added';
  else if (file.newPath === undefined && file.oldPath !== undefined) file.status = 'deleted';
  else if (file.status === 'modified' && file.oldPath !== file.newPath) file.status = 'renamed';
  file.path = file.newPath ?? file.oldPath ?? file.path;
  return file;
}

/** One file's part of a patch: the parsed file and its text, from its `diff --git` line on. */
export interface DiffSection {
  file: DiffFile;
  text: string;
}

/** The patch's files, each with its own text (anything before the first `diff --git` is dropped). */
export function splitUnifiedDiff(patch: string): DiffSection[] {
  const lines = patch.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const sections: DiffSection[] = [];
  let file: DiffFile | undefined;
  let from = 0;
  let i = 0;
  const push = () => {
    if (!file) return;
    const text = lines.slice(from, i).join('\n');
    sections.push({
      file: finish(file),
      text: i < lines.length || patch.endsWith('\n') ? `${text}\n` : text,
    });
  };
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith('diff --git ')) {
      push();
      const [a, b] = headerPaths(line.slice('diff --git '.length));
      file = newFile(a, b);
      from = i;
      i++;
      continue;
    }
    if (!file) {
      i++;
      continue;
    }
    const hunk = HUNK.exec(line);
    if (hunk) {
      i = readHunk(lines, i, hunk, file);
      continue;
    }
    readHeaderLine(line, file);
    i++;
  }
  push();
  return sections;
}

export function parseUnifiedDiff(patch: string): DiffFile[] {
  return splitUnifiedDiff(patch).map((s) => s.file);
}

/** One extended-header line (`new file mode`, `rename from`, `--- a/x`, ...) of a file. */
function readHeaderLine(line: string, file: DiffFile): void {
  if (line.startsWith('new file mode ')) {
    file.oldPath = undefined;
    file.newMode = line.slice(14);
  } else if (line.startsWith('deleted file mode ')) {
    file.newPath = undefined;
    file.oldMode = line.slice(18);
  } else if (line.startsWith('old mode ')) file.oldMode = line.slice(9);
  else if (line.startsWith('new mode ')) file.newMode = line.slice(9);
  else if (line.startsWith('rename from ')) {
    file.oldPath = unquotePath(line.slice(12));
    file.status = 'renamed';
  } else if (line.startsWith('rename to ')) file.newPath = unquotePath(line.slice(10));
  else if (line.startsWith('copy from ')) {
    file.oldPath = unquotePath(line.slice(10));
    file.status = 'copied';
  } else if (line.startsWith('copy to ')) file.newPath = unquotePath(line.slice(8));
  else if (line.startsWith('similarity index ')) file.similarity = Number.parseInt(line.slice(17), 10);
  else if (line.startsWith('--- ')) file.oldPath = stripPrefix(line.slice(4));
  else if (line.startsWith('+++ ')) file.newPath = stripPrefix(line.slice(4));
  else if (line === 'GIT binary patch' || /^Binary files .* differ$/.test(line)) file.binary = true;
}

/** Reads one hunk starting at lines[start]; returns the index after it. */
function readHunk(lines: string[], start: number, m: RegExpExecArray, file: DiffFile): number {
  const h: DiffHunk = {
    oldStart: Number(m[1]),
    oldLines: m[2] === undefined ? 1 : Number(m[2]),
    newStart: Number(m[3]),
    newLines: m[4] === undefined ? 1 : Number(m[4]),
    section: m[5] ?? '',
    lines: [],
  };
  file.hunks.push(h);
  let oldLeft = h.oldLines;
  let newLeft = h.newLines;
  let oldNo = h.oldStart;
  let newNo = h.newStart;
  let i = start + 1;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith('\\')) {
      h.lines.push({ kind: 'note', text: line.slice(2) });
      i++;
      continue;
    }
    if (oldLeft <= 0 && newLeft <= 0) break;
    const mark = line[0];
    const text = line.slice(1);
    if (mark === '+' && newLeft > 0) {
      h.lines.push({ kind: 'add', text, newNo: newNo++ });
      newLeft--;
      file.additions++;
    } else if (mark === '-' && oldLeft > 0) {
      h.lines.push({ kind: 'del', text, oldNo: oldNo++ });
      oldLeft--;
      file.deletions++;
    } else if ((mark === ' ' || line === '') && oldLeft > 0 && newLeft > 0) {
      h.lines.push({ kind: 'context', text, oldNo: oldNo++, newNo: newNo++ });
      oldLeft--;
      newLeft--;
    } else {
      break; // malformed: stop the hunk here rather than misread what follows
    }
    i++;
  }
  return i;
}

export interface DiffTotals {
  files: number;
  additions: number;
  deletions: number;
}

export function diffTotals(files: readonly DiffFile[]): DiffTotals {
  let additions = 0;
  let deletions = 0;
  for (const f of files) {
    additions += f.additions;
    deletions += f.deletions;
  }
  return { files: files.length, additions, deletions };
}
