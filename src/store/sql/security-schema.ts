/** Tables of migration 0050 (security): secrets and the audit log. */
import type { Generated } from 'kysely';

export interface SecretsTable {
  tenant_id: string;
  /** '' for a tenant-wide secret, else the source id (provider/owner/repo). */
  source_id: string;
  name: string;
  /** `v1.<iv>.<tag>.<ciphertext>` (base64url), AES-256-GCM under the server key. */
  ciphertext: string;
  create_time: number;
  update_time: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  time: number;
  tenant_id: string | null;
  key_id: string | null;
  /** 'api' (an API key) or 'cli' (an operator on the server's machine). */
  actor: string;
  method: string;
  path: string;
  status: number;
  /** JSON with extra facts (never request bodies). */
  detail: string | null;
}
