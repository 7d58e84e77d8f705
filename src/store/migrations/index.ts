import { init } from './0001-init.ts';
import { sessionUsage } from './0020-session-usage.ts';
import { webhooks } from './0040-webhooks.ts';
import { idempotency } from './0041-idempotency.ts';
import { sessionFeed } from './0042-session-feed.ts';
import { security } from './0050-security.ts';
import { scaleOut } from './0060-scale-out.ts';
import { pendingDelivery } from './0071-pending-delivery.ts';
import { attempts } from './0072-attempts.ts';
import { tenantLoad } from './0073-tenant-load.ts';
import { sessionTurns } from './0074-session-turns.ts';
import { mirrorPins } from './0190-mirror-pins.ts';
import { sourceContextFields } from './0200-source-context-fields.ts';
import { baseCommit } from './0210-base-commit.ts';
import { noticeWriter } from './0220-notice-writer.ts';
import type { Migration } from './migration.ts';

/** Every migration, in version order. Add new files here. */
export const MIGRATIONS: readonly Migration[] = [
  init,
  sessionUsage,
  webhooks,
  idempotency,
  sessionFeed,
  security,
  scaleOut,
  pendingDelivery,
  attempts,
  tenantLoad,
  sessionTurns,
  mirrorPins,
  sourceContextFields,
  baseCommit,
  noticeWriter,
];
