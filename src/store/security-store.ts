/**
 * What the security features persist: tenants and their limits, per-key rate limits, encrypted
 * secrets and the audit log. Exposed as `Store.security`.
 */
import type { Micros } from '../domain/time.ts';

export interface TenantRecord {
  id: string;
  name: string;
  createTime: Micros;
  /** Sessions of this tenant in PLANNING or IN_PROGRESS at once; null: the server's default. */
  maxWorkingSessions: number | null;
  /** API requests per minute for the whole tenant; null: the server's default; 0: unlimited. */
  rateLimitPerMinute: number | null;
}

export interface TenantPatch {
  name?: string;
  maxWorkingSessions?: number | null;
  rateLimitPerMinute?: number | null;
}

export interface SecretRecord {
  tenantId: string;
  /** '' for a tenant-wide secret, else a source id (provider/owner/repo). */
  sourceId: string;
  name: string;
  /** Encrypted value (see src/security/secret-box.ts); the plaintext is never stored. */
  ciphertext: string;
  createTime: Micros;
  updateTime: Micros;
}

export interface AuditEntry {
  time: Micros;
  tenantId: string | null;
  keyId: string | null;
  actor: 'api' | 'cli';
  method: string;
  path: string;
  status: number;
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  id: number;
}

export interface AuditQuery {
  tenantId?: string;
  /** Entries with a smaller id (newest first paging). */
  beforeId?: number;
  limit: number;
}

export interface SecurityStore {
  /** Creates a tenant; false if one with this id exists. */
  createTenant(tenant: { id: string; name: string }): Promise<boolean>;
  getTenant(id: string): Promise<TenantRecord | undefined>;
  listTenants(): Promise<TenantRecord[]>;
  /** False if there is no such tenant. */
  updateTenant(id: string, patch: TenantPatch): Promise<boolean>;

  /** null: the server's default; 0: unlimited. False if there is no such key. */
  setKeyRateLimit(keyId: string, perMinute: number | null): Promise<boolean>;
  /** The stored per-key and per-tenant rate limits (null where the default applies). */
  rateLimits(keyId: string, tenantId: string): Promise<{ key: number | null; tenant: number | null }>;

  /** The server-wide default for tenants without their own max_working_sessions (0: unlimited). */
  setDefaultMaxWorkingSessions(limit: number): Promise<void>;
  /** Sessions of the tenant that count against its limit (working, or queued and being claimed). */
  countWorkingSessions(tenantId: string): Promise<number>;

  putSecret(secret: SecretRecord): Promise<void>;
  /** Secrets of a tenant: tenant-wide ones when sourceId is '', a source's when given, all when undefined. */
  listSecrets(tenantId: string, sourceId?: string): Promise<SecretRecord[]>;
  deleteSecret(tenantId: string, sourceId: string, name: string): Promise<boolean>;

  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  listAudit(query: AuditQuery): Promise<AuditRecord[]>;
}
