// A change set's patch travels as a JSON string, so it must be valid UTF-8 to survive intact.
// Text files in another encoding (e.g. Latin-1) produce raw non-UTF-8 bytes in a text diff; such
// files are diffed again as binary (base85, plain ASCII), which `git apply` handles just as well.
import { isUtf8 } from 'node:buffer';
import type { RawEntry } from './change-list.ts';

const SECTION_START = Buffer.from('diff --git ');
const NEWLINE_SECTION_START = Buffer.from('\ndiff --git ');

/** Splits `git diff` output into its per-file sections, each starting with `diff --git `. */
export function splitPatchSections(patch: Buffer): Buffer[] {
  const starts: number[] = [];
  if (patch.subarray(0, SECTION_START.length).equals(SECTION_START)) starts.push(0);
  let at = patch.indexOf(NEWLINE_SECTION_START);
  while (at >= 0) {
    starts.push(at + 1);
    at = patch.indexOf(NEWLINE_SECTION_START, at + 1);
  }
  return starts.map((start, i) => patch.subarray(start, starts[i + 1] ?? patch.length));
}

/**
 * Paths (old and new) of the changes whose patch section is not valid UTF-8. Sections follow the
 * `--raw` entries in order, a type change (file ↔ symlink) giving two sections; if the counts do
 * not line up, every path is returned so that the caller still gets an ASCII patch.
 */
export function pathsWithInvalidUtf8(patch: Buffer, raw: readonly RawEntry[]): string[] {
  const sections = splitPatchSections(patch);
  const expected = raw.reduce((n, e) => n + (e.letter === 'T' ? 2 : 1), 0);
  const all = (entries: readonly RawEntry[]): string[] =>
    entries.flatMap((e) => (e.oldPath !== undefined ? [e.oldPath, e.path] : [e.path]));
  if (sections.length !== expected) return all(raw);
  const bad: RawEntry[] = [];
  let i = 0;
  for (const entry of raw) {
    const count = entry.letter === 'T' ? 2 : 1;
    if (sections.slice(i, i + count).some((s) => !isUtf8(s))) bad.push(entry);
    i += count;
  }
  return all(bad);
}

/** A gitattributes line marking exactly `path` (relative to the repository root) as binary. */
export function binaryAttributeLine(path: string): string {
  return `${attributePattern(path)} -diff`;
}

/** A C-quoted, root-anchored gitattributes pattern matching exactly `path`. */
export function attributePattern(path: string): string {
  const glob = `/${path.replace(/[\\*?[\]]/g, '\\$&')}`;
  let quoted = '';
  for (const ch of glob) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') quoted += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f) quoted += `\\${code.toString(8).padStart(3, '0')}`;
    else quoted += ch;
  }
  return `"${quoted}"`;
}
