/**
 * The server key that encrypts secrets at rest. From STINT_SECRET_KEY (base64 or hex of 32 bytes),
 * else the file STINT_SECRET_KEY_FILE, else `<data dir>/secret.key`, which is generated on first
 * use with mode 0600. A key file readable by group or others is refused, like ssh does.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export class ServerKeyError extends Error {}

export interface ServerKeyOptions {
  dataDir: string;
  /** STINT_SECRET_KEY_FILE */
  keyFile?: string | undefined;
  /** STINT_SECRET_KEY */
  keyText?: string | undefined;
}

export interface ServerKey {
  key: Buffer;
  /** Where it came from, for messages (never the key). */
  source: string;
  created: boolean;
}

export function parseKeyText(text: string, where: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) {
    throw new ServerKeyError(
      `${where} must hold a 32-byte key as base64 or hex (generate one with: openssl rand -base64 32).`,
    );
  }
  return key;
}

export function defaultKeyFile(dataDir: string): string {
  return join(dataDir, 'secret.key');
}

export function loadServerKey(opts: ServerKeyOptions): ServerKey {
  if (opts.keyText)
    return {
      key: parseKeyText(opts.keyText, 'STINT_SECRET_KEY'),
      source: 'STINT_SECRET_KEY',
      created: false,
    };
  const file = opts.keyFile ?? defaultKeyFile(opts.dataDir);
  const existing = readKeyFile(file);
  if (existing) return { key: existing, source: file, created: false };
  if (opts.keyFile) throw new ServerKeyError(`STINT_SECRET_KEY_FILE ${file} does not exist.`);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      const theirs = readKeyFile(file);
      if (theirs) return { key: theirs, source: file, created: false };
    }
    throw e;
  }
  return { key, source: file, created: true };
}

function readKeyFile(file: string): Buffer | undefined {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if ((st.mode & 0o077) !== 0) {
    throw new ServerKeyError(
      `The server key ${file} is readable by other users (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${file}`,
    );
  }
  return parseKeyText(readFileSync(file, 'utf8'), file);
}
