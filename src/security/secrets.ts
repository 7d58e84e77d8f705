/**
 * Per-tenant and per-source secrets: stored encrypted, listed by name only, and resolved into the
 * environment of a session's sandboxed commands (a source's secret wins over a tenant's of the
 * same name).
 */
import { invalidArgument, notFound, StintError } from '../domain/errors.ts';
import { isValidSourceId } from '../domain/names.ts';
import { nowMicros } from '../domain/time.ts';
import type { SecretRecord } from '../store/security-store.ts';
import type { Store } from '../store/store.ts';
import { MIN_SECRET_LENGTH } from './redactor.ts';
import { SecretBox, secretAad } from './secret-box.ts';

export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const MAX_SECRET_BYTES = 64 * 1024;
/** Names that would change how commands run rather than pass them a credential. */
const RESERVED = new Set([
  'PATH',
  'HOME',
  'PWD',
  'OLDPWD',
  'SHLVL',
  'IFS',
  'ENV',
  'BASH_ENV',
  'LANG',
  'TERM',
]);
const FINGERPRINT_META = 'secret_key_fingerprint';

export interface SecretInfo {
  name: string;
  /** '' for a tenant-wide secret. */
  sourceId: string;
  createTime: number;
  updateTime: number;
}

export function checkSecretName(name: string): void {
  if (!SECRET_NAME.test(name)) {
    throw invalidArgument(
      `Secret name '${name}' must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*).`,
    );
  }
  if (RESERVED.has(name) || name.startsWith('LD_')) {
    throw invalidArgument(`Secret name '${name}' is reserved: commands need it to run.`);
  }
}

export class SecretsService {
  readonly #store: Store;
  readonly #box: SecretBox;

  private constructor(store: Store, box: SecretBox) {
    this.#store = store;
    this.#box = box;
  }

  /** Binds the store to the server key, refusing a key other than the one its secrets were sealed with. */
  static async open(store: Store, key: Buffer): Promise<SecretsService> {
    const box = new SecretBox(key);
    const stored = await store.ensureMeta(FINGERPRINT_META, box.fingerprint());
    if (stored !== box.fingerprint()) {
      throw new StintError(
        'FAILED_PRECONDITION',
        "This store's secrets were encrypted with a different server key. Restore the original secret.key (or set STINT_SECRET_KEY_FILE / STINT_SECRET_KEY to it on every node).",
      );
    }
    return new SecretsService(store, box);
  }

  async set(tenantId: string, sourceId: string, name: string, value: string): Promise<void> {
    checkSecretName(name);
    if (value.length < MIN_SECRET_LENGTH) {
      throw invalidArgument(
        `A secret's value must be at least ${MIN_SECRET_LENGTH} characters (it is redacted wherever it appears).`,
      );
    }
    if (Buffer.byteLength(value) > MAX_SECRET_BYTES)
      throw invalidArgument(`A secret's value must be at most ${MAX_SECRET_BYTES} bytes.`);
    if (value.includes('\0')) throw invalidArgument("A secret's value cannot contain NUL bytes.");
    if (!(await this.#store.security.getTenant(tenantId)))
      throw notFound(`Tenant '${tenantId}' was not found.`);
    if (sourceId !== '') {
      if (!isValidSourceId(sourceId) || !(await this.#store.getSource(tenantId, sourceId))) {
        throw notFound(`Source 'sources/${sourceId}' was not found in tenant '${tenantId}'.`);
      }
    }
    const now = nowMicros();
    await this.#store.security.putSecret({
      tenantId,
      sourceId,
      name,
      ciphertext: this.#box.seal(value, secretAad(tenantId, sourceId, name)),
      createTime: now,
      updateTime: now,
    });
  }

  async list(tenantId: string, sourceId?: string): Promise<SecretInfo[]> {
    const rows = await this.#store.security.listSecrets(tenantId, sourceId);
    return rows.map((r) => ({
      name: r.name,
      sourceId: r.sourceId,
      createTime: r.createTime,
      updateTime: r.updateTime,
    }));
  }

  delete(tenantId: string, sourceId: string, name: string): Promise<boolean> {
    return this.#store.security.deleteSecret(tenantId, sourceId, name);
  }

  /** The environment a session's commands get: tenant-wide secrets, overridden by its source's. */
  async forSession(tenantId: string, sourceId: string | undefined): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    const tenantWide = await this.#store.security.listSecrets(tenantId, '');
    const ofSource = sourceId ? await this.#store.security.listSecrets(tenantId, sourceId) : [];
    for (const r of [...tenantWide, ...ofSource]) env[r.name] = this.#open(r);
    return env;
  }

  #open(r: SecretRecord): string {
    return this.#box.open(r.ciphertext, secretAad(r.tenantId, r.sourceId, r.name));
  }
}
