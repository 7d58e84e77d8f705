// Git's fsmonitor index extension ("FSMN", version 2), written into the agent's copy of the index
// so that `git status` in the sandbox trusts every entry except what the change watcher names
// (src/workspace/fsmonitor/agent-hook.ts).
//
// The extension carries the token git passes to the hook and a bitmap of the entries not known to
// be clean; an empty bitmap says every entry matches its file. That holds for the agent's index
// exactly when it is written: the reset just made the checkout equal to it.
//
// Index layout (git's Documentation/gitformat-index.txt): a 12-byte header ("DIRC", version,
// entry count), the entries, the extensions (4-byte signature, 4-byte size, data), and a trailing
// hash of everything before it. Only the entries' lengths are read here, never their contents.
import { createHash } from 'node:crypto';
import { hashBytes } from '../../domain/commit-id.ts';

const FSMN = 'FSMN';
// Extensions that would no longer describe the file: the end-of-entries marker (it hashes the
// extension headers and must come last) with the offset table it serves.
const DROPPED = new Set(['EOIE', 'IEOT']);

/** How to write an index anew: byte ranges of the old one to keep, then `tail` (new extensions, the hash). */
export interface IndexRewrite {
  keep: [number, number][];
  tail: Buffer;
}

/**
 * How to write `index` with `extensions` (each its signature, size and data) at its end in place of
 * any extension of the same signature (the end-of-entries extensions left out too). Undefined when
 * the file is not an index this can read (an unknown version, a split index, a short or corrupt
 * file): the caller keeps the plain copy, and git walks the tree as it would without the hook.
 */
export function rewriteExtensions(
  index: Buffer,
  hash: 'sha1' | 'sha256',
  extensions: readonly Buffer[],
): IndexRewrite | undefined {
  const parsed = indexExtensions(index, hash);
  if (parsed === undefined) return undefined;
  const replaced = new Set(extensions.map((e) => e.toString('latin1', 0, 4)));
  const keep: [number, number][] = [[0, parsed.entriesEnd]];
  for (const ext of parsed.extensions) {
    if (replaced.has(ext.signature) || DROPPED.has(ext.signature)) continue;
    const last = keep[keep.length - 1]!;
    if (last[1] === ext.start) last[1] = ext.end;
    else keep.push([ext.start, ext.end]);
  }
  const digest = createHash(hash);
  for (const [from, to] of keep) digest.update(index.subarray(from, to));
  for (const ext of extensions) digest.update(ext);
  return { keep, tail: Buffer.concat([...extensions, digest.digest()]) };
}

/** One extension of an index: its signature, where it starts (header) and ends, and its data. */
export interface IndexExtension {
  signature: string;
  start: number;
  end: number;
  data: Buffer;
}

/**
 * Where the entries of `index` end and its extensions; undefined when it is not an index this can
 * read (an unknown version, a split index, a short or corrupt file).
 */
export function indexExtensions(
  index: Buffer,
  hash: 'sha1' | 'sha256',
): { entriesEnd: number; extensions: IndexExtension[] } | undefined {
  const hashLen = hashBytes(hash);
  if (index.length < 12 + hashLen || index.toString('latin1', 0, 4) !== 'DIRC') return undefined;
  // Git writes an index whole (a lock file renamed over it): its hash is not checked again here.
  const bodyEnd = index.length - hashLen;
  const end = entriesEnd(index, bodyEnd, index.readUInt32BE(4), index.readUInt32BE(8), hashLen);
  if (end === undefined) return undefined;
  const extensions: IndexExtension[] = [];
  let at = end;
  while (at < bodyEnd) {
    if (at + 8 > bodyEnd) return undefined;
    const signature = index.toString('latin1', at, at + 4);
    const next = at + 8 + index.readUInt32BE(at + 4);
    if (next > bodyEnd) return undefined;
    // A split index ("link") keeps its entries in another file that this copy would not carry.
    if (signature === 'link') return undefined;
    extensions.push({ signature, start: at, end: next, data: index.subarray(at + 8, next) });
    at = next;
  }
  return { entriesEnd: end, extensions };
}

/** `index` with an fsmonitor extension naming `token` and no entry dirty, in one buffer (tests). */
export function withFsmonitorToken(
  index: Buffer,
  token: string,
  hash: 'sha1' | 'sha256',
): Buffer | undefined {
  const plan = rewriteExtensions(index, hash, [fsmonitorExtension(token)]);
  if (plan === undefined) return undefined;
  return Buffer.concat([...plan.keep.map(([from, to]) => index.subarray(from, to)), plan.tail]);
}

// Where the entries end, or undefined when they do not parse. Versions 2 and 3: 40 bytes of stat
// data, the object id, 2 bytes of flags (+2 extended flags in version 3 when flagged), the name, and
// 1–8 NULs padding the entry to a multiple of 8. Version 4: no padding, the name prefix-compressed
// (a varint, then the NUL-terminated rest).
function entriesEnd(
  body: Buffer,
  bodyEnd: number,
  version: number,
  count: number,
  hashLen: number,
): number | undefined {
  if (version < 2 || version > 4) return undefined;
  let at = 12;
  for (let i = 0; i < count; i++) {
    const start = at;
    const flagsAt = start + 40 + hashLen;
    if (flagsAt + 2 > bodyEnd) return undefined;
    const flags = body.readUInt16BE(flagsAt);
    let nameAt = flagsAt + 2;
    if (flags & 0x4000) {
      if (version < 3) return undefined;
      nameAt += 2;
    }
    if (version === 4) {
      let p = nameAt;
      while (p < bodyEnd && (body[p]! & 0x80) !== 0) p++;
      const nul = body.indexOf(0, p + 1);
      if (nul < 0 || nul >= bodyEnd) return undefined;
      at = nul + 1;
      continue;
    }
    let nameLen = flags & 0x0fff;
    if (nameLen === 0x0fff) {
      const nul = body.indexOf(0, nameAt);
      if (nul < 0 || nul >= bodyEnd) return undefined;
      nameLen = nul - nameAt;
    }
    at = start + ((nameAt - start + nameLen + 8) & ~7);
    if (at > bodyEnd) return undefined;
  }
  return at;
}

/**
 * Version 2 of the fsmonitor extension (header included): the token (NUL-terminated) and an EWAH
 * bitmap of dirty entries, here empty (no bits, one zero run-length word).
 */
export function fsmonitorExtension(token: string): Buffer {
  if (token.length === 0 || token.includes('\0'))
    throw new Error('fsmonitor token must be non-empty text without NUL');
  const tokenBytes = Buffer.from(`${token}\0`, 'utf8');
  const ewah = Buffer.alloc(20);
  ewah.writeUInt32BE(1, 4);
  const data = Buffer.alloc(4 + tokenBytes.length + 4);
  data.writeUInt32BE(2, 0);
  tokenBytes.copy(data, 4);
  data.writeUInt32BE(ewah.length, 4 + tokenBytes.length);
  const header = Buffer.alloc(8);
  header.write(FSMN, 0, 'latin1');
  header.writeUInt32BE(data.length + ewah.length, 4);
  return Buffer.concat([header, data, ewah]);
}
