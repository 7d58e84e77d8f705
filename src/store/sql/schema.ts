/** Table types shared by every SQL store. Booleans are 0/1 integers, times integer microseconds, JSON text. */
import type { AuditLogTable, SecretsTable } from './security-schema.ts';

export interface MetaTable {
  key: string;
  value: string;
}

export interface TenantsTable {
  id: string;
  name: string;
  create_time: number;
  /** null: the server's default. */
  max_working_sessions: number | null;
  rate_limit_per_minute: number | null;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  hash: string;
  role: string;
  create_time: number;
  revoked: number;
  /** null: the server's default. */
  rate_limit_per_minute: number | null;
}

export interface SourcesTable {
  tenant_id: string;
  id: string;
  git_url: string;
  default_branch: string | null;
  is_private: number;
  config: string;
  create_time: number;
}

export interface SessionsTable {
  id: string;
  tenant_id: string;
  prompt: string;
  title: string;
  source: string | null;
  starting_branch: string | null;
  /** sourceContext.workingBranch; null: the default `<prefix><id>`. */
  working_branch: string | null;
  /** The commit the session's checkout was first made from (the server's record). */
  base_commit_id: string | null;
  /** sourceContext.environmentVariablesEnabled (1/0); null: unset (secrets are given). */
  environment_variables_enabled: number | null;
  require_plan_approval: number;
  automation_mode: string;
  state: string;
  archived: number;
  outputs: string;
  create_time: number;
  update_time: number;
  wants_work: number;
  resume_state: string | null;
  /** Emptied by migration 74 (the transcript is in session_turns); kept for older rows' sake. */
  agent_state: string | null;
  last_seq: number;
  activity_count: number;
  last_activity_time: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  /** Claims so far (fencing token). */
  lease_epoch: number;
  /** SessionUsage JSON; null until the agent reports usage. */
  usage: string | null;
  /** PendingDelivery JSON while the `done` commit's outputs await publishing; else null. */
  pending_delivery: string | null;
  /** Claims since the session last ran to a clean stop. */
  attempts: number;
  /** Not claimable before this time (µs); null: now. */
  run_at: number | null;
  /** Why the latest attempt ended badly (set pessimistically by the claim). */
  last_error: string | null;
  /** 1 while the session holds one of its tenant's working slots (see tenant_load). */
  slot: number;
  /** The latest Plan (JSON); null until one is generated. */
  plan: string | null;
}

export interface SessionTurnsTable {
  session_id: string;
  seq: number;
  /** 'base' (the whole checkpoint) or 'delta' (what one step changed). */
  kind: string;
  body: string;
}

export interface TenantLoadTable {
  tenant_id: string;
  /** Sessions of the tenant holding a working slot. */
  working: number;
}

export interface ActivitiesTable {
  session_id: string;
  seq: number;
  id: string;
  create_time: number;
  originator: string;
  kind: string;
  /** {v, description?, content, artifacts} */
  body: string;
  /** The lease this activity was written under; null when not written by a worker. */
  lease_owner: string | null;
  lease_epoch: number | null;
}

export interface WorkspaceSnapshotsTable {
  session_id: string;
  base_commit_id: string;
  tree_id: string;
  patch: string;
  update_time: number;
}

export interface DB {
  meta: MetaTable;
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  sources: SourcesTable;
  sessions: SessionsTable;
  activities: ActivitiesTable;
  workspace_snapshots: WorkspaceSnapshotsTable;
  tenant_load: TenantLoadTable;
  session_turns: SessionTurnsTable;
  secrets: SecretsTable;
  audit_log: AuditLogTable;
}
