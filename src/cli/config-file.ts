/**
 * The server's settings file, shared by `stint serve`, `stint worker` and the admin commands:
 * `--config FILE` (serve, worker) or STINT_CONFIG names a file of `NAME=value` lines using the
 * environment names (`STINT_PORT=8080`), with `#` comments, an optional `export ` and optional
 * quotes. A value only fills in what the environment does not set, and flags win over the
 * environment, so: flags > environment > file > defaults, for every setting.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../config.ts';

const LINE = /^(?:export\s+)?(STINT_[A-Z0-9_]+)\s*=\s*(.*)$/;

export function parseSettingsFile(text: string, path: string): Map<string, string> {
  const out = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = LINE.exec(line);
    if (!m) throw new ConfigError(`${path}:${i + 1}: expected STINT_NAME=value; got '${line.slice(0, 60)}'.`);
    let value = m[2]!.trim();
    const quoted = /^(["'])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, '');
    out.set(m[1]!, value);
  });
  return out;
}

/** Sets each file value the environment lacks; returns the names it set. */
export function applySettingsFile(path: string, env: NodeJS.ProcessEnv = process.env): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read the settings file ${path}: ${(e as Error).message}`);
  }
  try {
    if ((statSync(path).mode & 0o077) !== 0 && /SECRET|PASSWORD|postgres:\/\/[^@\s]*:[^@\s]*@/i.test(text)) {
      process.stderr.write(
        `stint: warning: ${path} holds secrets and is readable by others; chmod 600 it.\n`,
      );
    }
  } catch {}
  const applied: string[] = [];
  for (const [name, value] of parseSettingsFile(text, path)) {
    if (env[name] !== undefined && env[name] !== '') continue;
    env[name] = value;
    applied.push(name);
  }
  return applied;
}

/**
 * `--config` on serve/worker; STINT_CONFIG for them and every other server/admin command registered
 * so far (call it before adding the client commands, which do not read it).
 */
export function wireSettingsFile(program: Command): void {
  for (const cmd of program.commands) {
    const name = cmd.name();
    if (name === 'serve' || name === 'worker') {
      cmd.option('--config <file>', 'settings file of STINT_NAME=value lines (STINT_CONFIG)');
    }
    cmd.hook('preAction', (_self, action) => {
      if (action.name() === 'ls' && action.parent?.name() === 'sources') return; // the API client
      const path = (action.opts() as { config?: string }).config ?? process.env.STINT_CONFIG;
      if (path) applySettingsFile(path);
    });
  }
}
