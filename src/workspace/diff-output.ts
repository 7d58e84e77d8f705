// What every change-set computation shares (src/workspace/patch.ts, server-change-set.ts): the
// diff flags that give standard output whatever the configuration, the fallbacks that keep the
// patch valid UTF-8, and the parsing of `git add --ignore-errors` failures.
import { isUtf8 } from 'node:buffer';
import { type ChangedFile, parseNumstatZ, parseRawZ, type RawEntry, toChangedFiles } from './change-list.ts';
import type { GitError } from './git.ts';
import { binaryAttributeLine, pathsWithInvalidUtf8 } from './non-utf8.ts';

export interface ChangeSet {
  /** `git diff` output with a/ b/ prefixes; '' when nothing changed. */
  unidiffPatch: string;
  files: ChangedFile[];
  /** Files git could not add (unreadable, nested repository without a commit…); absent if none. */
  warnings?: string[];
  /**
   * How it was computed: `feed` looked only at the paths the change feed named
   * (src/workspace/change-feed.ts), `walk` walked the tree with the checkout's persistent index,
   * `shadow` built a fresh index of the whole tree.
   */
  via?: 'feed' | 'walk' | 'shadow';
}

export type GitRunOpts = { timeoutMs?: number; maxBuffer: number; env: Record<string, string> };

export type DiffResult = { raw: RawEntry[]; files: ChangedFile[]; patch: Buffer };
export type DiffOnce = (quotePath: boolean) => Promise<DiffResult>;

// Standard output whatever any configuration says.
export const DIFF_CONFIG = ['-c', 'diff.noprefix=false', '-c', 'diff.mnemonicPrefix=false'];
export const DIFF_FLAGS = [
  '--cached',
  '--find-renames',
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--src-prefix=a/',
  '--dst-prefix=b/',
  '--no-relative',
];
/** `diff` flags for the raw records, the line counts and the patch in one output (splitCombinedDiff). */
export const COMBINED_DIFF_FLAGS = ['-z', '--raw', '--numstat', '--patch', '--binary', '--full-index'];

/** Runs `diff`; again with non-UTF-8 files as binary, and again with quoted names, until UTF-8. */
export async function diffWithFallbacks(
  diff: DiffOnce,
  setAttributes: (lines: readonly string[]) => Promise<void>,
): Promise<ChangeSet & { raw: RawEntry[] }> {
  let quotePath = false;
  let result = await diff(quotePath);
  if (!isUtf8(result.patch)) {
    // Non-UTF-8 file contents: diff those files as binary.
    await setAttributes(pathsWithInvalidUtf8(result.patch, result.raw).map(binaryAttributeLine));
    result = await diff(quotePath);
  }
  if (!isUtf8(result.patch)) {
    // Non-UTF-8 file names (or anything else): all-ASCII output, names quoted, contents in base85.
    quotePath = true;
    await setAttributes(['* -diff']);
    result = await diff(quotePath);
  }
  return { unidiffPatch: result.patch.toString('utf8'), files: result.files, raw: result.raw };
}

/** `diff -z --raw --numstat --patch`: raw records, numstat records, an empty field, then the patch. */
export function splitCombinedDiff(out: Buffer): DiffResult {
  if (out.length === 0) return { raw: [], files: [], patch: Buffer.alloc(0) };
  const sep = out.indexOf('\0\0');
  const header = (sep < 0 ? out : out.subarray(0, sep + 1)).toString('utf8');
  const patch = sep < 0 ? Buffer.alloc(0) : out.subarray(sep + 2);
  const tokens = header.split('\0');
  let i = 0;
  // Raw records start with ':'; each is followed by one path (two for renames and copies).
  while (i < tokens.length && tokens[i]!.startsWith(':')) {
    const letter = /([A-Z])\d*$/.exec(tokens[i]!)?.[1];
    i += letter === 'R' || letter === 'C' ? 3 : 2;
  }
  const raw = parseRawZ(tokens.slice(0, i).join('\0'));
  const files = toChangedFiles(raw, parseNumstatZ(tokens.slice(i).join('\0')));
  return { raw, files, patch };
}

/** The files `git add --ignore-errors` could not add (it exits 1 and names them on stderr). */
export function addErrors(err: GitError): string[] {
  return err.stderr
    .split('\n')
    .filter((line) => line.startsWith('error: '))
    .map((line) => line.slice('error: '.length));
}
