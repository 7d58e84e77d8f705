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

const FSMN = 'FSMN';
// Extensions that would no longer describe the file: the old fsmonitor data, and the end-of-entries
// marker (it hashes the extension headers and must come last) with the offset table it serves.
const DROPPED = new Set([FSMN, 'EOIE', 'IEOT']);

/**
 * `index` with an fsmonitor extension naming `token` and no entry dirty (any previous one and the
 * end-of-entries extensions removed, the trailing hash recomputed). Undefined when the file is not
 * an index this can read (an unknown version, a split index, a short or corrupt file): the caller
 * keeps the plain copy, and git walks the tree as it would without the hook.
 */
export function withFsmonitorToken(
  index: Buffer,
  token: string,
  hash: 'sha1' | 'sha256',
): Buffer | undefined {
  if (token.length === 0 || token.includes('\0'))
    throw new Error('fsmonitor token must be non-empty text without NUL');
  const hashLen = hash === 'sha1' ? 20 : 32;
  if (index.length < 12 + hashLen || index.toString('latin1', 0, 4) !== 'DIRC') return undefined;
  // Git writes an index whole (a lock file renamed over it): its hash is not checked again here.
  const body = index.subarray(0, index.length - hashLen);
  const version = index.readUInt32BE(4);
  const count = index.readUInt32BE(8);
  const end = entriesEnd(body, version, count, hashLen);
  if (end === undefined) return undefined;
  const kept: Buffer[] = [body.subarray(0, end)];
  let at = end;
  while (at < body.length) {
    if (at + 8 > body.length) return undefined;
    const sig = body.toString('latin1', at, at + 4);
    const size = body.readUInt32BE(at + 4);
    const next = at + 8 + size;
    if (next > body.length) return undefined;
    // A split index ("link") keeps its entries in another file that this copy would not carry.
    if (sig === 'link') return undefined;
    if (!DROPPED.has(sig)) kept.push(body.subarray(at, next));
    at = next;
  }
  kept.push(fsmonitorExtension(token));
  const out = Buffer.concat(kept);
  return Buffer.concat([out, createHash(hash).update(out).digest()]);
}

// Where the entries end, or undefined when they do not parse. Versions 2 and 3: 40 bytes of stat
// data, the object id, 2 bytes of flags (+2 extended flags in version 3 when flagged), the name, and
// 1–8 NULs padding the entry to a multiple of 8. Version 4: no padding, the name prefix-compressed
// (a varint, then the NUL-terminated rest).
function entriesEnd(body: Buffer, version: number, count: number, hashLen: number): number | undefined {
  if (version < 2 || version > 4) return undefined;
  let at = 12;
  for (let i = 0; i < count; i++) {
    const start = at;
    const flagsAt = start + 40 + hashLen;
    if (flagsAt + 2 > body.length) return undefined;
    const flags = body.readUInt16BE(flagsAt);
    let nameAt = flagsAt + 2;
    if (flags & 0x4000) {
      if (version < 3) return undefined;
      nameAt += 2;
    }
    if (version === 4) {
      let p = nameAt;
      while (p < body.length && (body[p]! & 0x80) !== 0) p++;
      const nul = body.indexOf(0, p + 1);
      if (nul < 0) return undefined;
      at = nul + 1;
      continue;
    }
    let nameLen = flags & 0x0fff;
    if (nameLen === 0x0fff) {
      const nul = body.indexOf(0, nameAt);
      if (nul < 0) return undefined;
      nameLen = nul - nameAt;
    }
    at = start + ((nameAt - start + nameLen + 8) & ~7);
    if (at > body.length) return undefined;
  }
  return at;
}

// Version 2 of the extension: the token (NUL-terminated) and an EWAH bitmap of dirty entries, here
// empty (no bits, one zero run-length word).
function fsmonitorExtension(token: string): Buffer {
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
