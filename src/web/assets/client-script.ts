/**
 * The web UI's script, src/web/client/app.ts: as tsc built it (dist/web/client/app.js) when the
 * server runs from a build, else its TypeScript source with the types stripped by Node itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';

const CLIENT_DIR = join(import.meta.dirname, '..', 'client');

export function loadClientScript(): string {
  const built = join(CLIENT_DIR, 'app.js');
  if (existsSync(built)) return readFileSync(built, 'utf8');
  const source = readFileSync(join(CLIENT_DIR, 'app.ts'), 'utf8');
  // Node 24 marks the function experimental and warns once per process; the project pins Node 24 and
  // the output is checked by the browser tests, so the warning only adds noise to every server start.
  const emitWarning = process.emitWarning;
  process.emitWarning = () => undefined;
  try {
    return stripTypeScriptTypes(source);
  } finally {
    process.emitWarning = emitWarning;
  }
}
