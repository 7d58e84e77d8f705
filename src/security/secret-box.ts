/**
 * Authenticated encryption of secrets at rest: AES-256-GCM under the server key, with a fresh
 * 96-bit IV per value and associated data naming the secret (tenant, source, name), so a
 * ciphertext copied onto another secret's row fails to decrypt instead of leaking elsewhere.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {}

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error(`The server key must be 32 bytes, got ${key.length}`);
    this.#key = Buffer.from(key);
  }

  /** A stable, non-reversible identifier of the key, to detect a data dir opened with the wrong one. */
  fingerprint(): string {
    return createHmac('sha256', this.#key).update('stint secret key check v1').digest('hex').slice(0, 32);
  }

  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv, tag, body]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  open(sealed: string, aad: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretBoxError('unknown secret format');
    const [iv, tag, body] = parts.slice(1).map((p) => Buffer.from(p, 'base64url')) as [
      Buffer,
      Buffer,
      Buffer,
    ];
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretBoxError('corrupt secret');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('secret cannot be decrypted with this server key (or was tampered with)');
    }
  }
}

/** Associated data binding a ciphertext to one secret. */
export function secretAad(tenantId: string, sourceId: string, name: string): string {
  return `stint-secret\0${tenantId}\0${sourceId}\0${name}`;
}
