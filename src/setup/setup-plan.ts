/**
 * What a session's setup runs and what keys its cache: the repository's `.stint/setup.sh` when the
 * checkout has one (it wins), else the source's setup commands; the key hashes the setup itself and
 * the content of the key files (lockfiles by default) found in the checkout.
 */
import { createHash } from 'node:crypto';
import { lstat, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_CACHE_KEY_FILES, type SourceSetupConfig } from '../sources/setup-config.ts';

export const SETUP_SCRIPT = '.stint/setup.sh';
const MAX_SCRIPT_BYTES = 1024 * 1024;
const MAX_KEY_FILES = 200;
/** Runs the script as its own program when it is executable (its #! line counts), else with sh. */
const SCRIPT_COMMAND = `if [ -x ./${SETUP_SCRIPT} ]; then exec ./${SETUP_SCRIPT}; else exec sh ./${SETUP_SCRIPT}; fi`;

export interface SetupStep {
  /** What progress shows (the command line, or the script's path). */
  label: string;
  command: string;
}

export interface SetupPlan {
  steps: SetupStep[];
  fromScript: boolean;
  timeoutMs: number;
  /** Undefined when the source turned the cache off. */
  cache?: {
    key: string;
    /** The key files found (relative paths). */
    keyFiles: string[];
    /** Declared paths; undefined: what setup created that git ignores. */
    paths?: string[];
  };
}

export interface PlanContext {
  tenantId: string;
  sourceId: string;
  /** Part of the key: outputs made under one sandbox kind are not reused under another. */
  sandboxKind: string;
  defaultTimeoutMs: number;
}

/** The setup of this checkout, or undefined when there is none (no script, no commands). */
export async function planSetup(
  checkout: string,
  config: SourceSetupConfig,
  ctx: PlanContext,
): Promise<SetupPlan | undefined> {
  const script = await readScript(checkout);
  const commands = config.commands ?? [];
  if (script === undefined && commands.length === 0) return undefined;
  const steps =
    script !== undefined
      ? [{ label: SETUP_SCRIPT, command: SCRIPT_COMMAND }]
      : commands.map((c) => ({ label: c.length > 200 ? `${c.slice(0, 200)}…` : c, command: c }));
  const plan: SetupPlan = {
    steps,
    fromScript: script !== undefined,
    timeoutMs: config.timeoutMs ?? ctx.defaultTimeoutMs,
  };
  if (config.cache === false) return plan;
  const keyFiles = await findKeyFiles(checkout, config.cacheKeyFiles ?? DEFAULT_CACHE_KEY_FILES);
  const hash = createHash('sha256');
  const part = (label: string, value: string | Buffer) => {
    hash.update(`${label}\0${Buffer.byteLength(value)}\0`);
    hash.update(value);
  };
  part('v', '1');
  part('tenant', ctx.tenantId);
  part('source', ctx.sourceId);
  part('platform', `${process.platform}/${process.arch}/${ctx.sandboxKind}`);
  part('commands', JSON.stringify(commands));
  if (script !== undefined) part('script', script);
  part('paths', JSON.stringify(config.cachePaths ?? null));
  for (const file of keyFiles) {
    part('file', file);
    part('content', await readFile(join(checkout, file)));
  }
  plan.cache = {
    key: hash.digest('hex'),
    keyFiles,
    ...(config.cachePaths ? { paths: config.cachePaths } : {}),
  };
  return plan;
}

/** The script's content when the checkout has one as a regular file (never through a symlink). */
async function readScript(checkout: string): Promise<Buffer | undefined> {
  const dir = await lstat(join(checkout, '.stint')).catch(() => undefined);
  if (!dir?.isDirectory()) return undefined;
  const st = await lstat(join(checkout, SETUP_SCRIPT)).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  if (st.size > MAX_SCRIPT_BYTES) throw new Error(`${SETUP_SCRIPT} is larger than 1 MiB`);
  const fh = await open(join(checkout, SETUP_SCRIPT), 'r');
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/**
 * The regular files matching the patterns (`*` matches within one name), sorted. Only real
 * directories are walked and only regular files count: a symlink never makes the server read a
 * file outside the checkout.
 */
export async function findKeyFiles(checkout: string, patterns: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of patterns) {
    const segments = pattern.split('/').filter(Boolean);
    await walk(checkout, '', segments, found);
    if (found.size > MAX_KEY_FILES)
      throw new Error(`the cache key files match more than ${MAX_KEY_FILES} files`);
  }
  return [...found].sort();
}

async function walk(checkout: string, prefix: string, segments: string[], found: Set<string>): Promise<void> {
  const [head, ...rest] = segments;
  if (head === undefined) return;
  const names = head.includes('*')
    ? (await readdir(join(checkout, prefix)).catch(() => [] as string[])).filter((n) =>
        globRegExp(head).test(n),
      )
    : [head];
  for (const name of names.sort()) {
    if (name === '.git' && prefix === '') continue;
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = await lstat(join(checkout, rel)).catch(() => undefined);
    if (!st) continue;
    if (rest.length === 0) {
      if (st.isFile()) found.add(rel);
    } else if (st.isDirectory()) {
      await walk(checkout, rel, rest, found);
    }
  }
}

function globRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${body}$`);
}
