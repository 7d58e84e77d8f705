import type { Migration } from './migration.ts';

/**
 * Idempotency keys of POST requests, per tenant: a pending reservation while the first request
 * runs (with a lock that expires if its process dies), then its recorded response until expiry.
 */
export const idempotency: Migration = {
  version: 41,
  name: 'idempotency',
  sqlite: `
      create table idempotency_keys (
        tenant_id text not null,
        key text not null,
        fingerprint text not null,
        state text not null,
        lock_expires_at integer not null,
        status_code integer,
        response text,
        content_type text,
        create_time integer not null,
        expire_time integer not null,
        primary key (tenant_id, key)
      );
      create index idempotency_keys_by_expiry on idempotency_keys (expire_time);
    `,
  postgres: `
      create table idempotency_keys (
        tenant_id text not null,
        key text not null,
        fingerprint text not null,
        state text not null,
        lock_expires_at bigint not null,
        status_code integer,
        response text,
        content_type text,
        create_time bigint not null,
        expire_time bigint not null,
        primary key (tenant_id, key)
      );
      create index idempotency_keys_by_expiry on idempotency_keys (expire_time);
    `,
};
