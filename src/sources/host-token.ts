// A token for a GitLab or Gitea/Forgejo source, read when needed from the server environment
// variable or the file the source's config names (so rotating it needs no restart). The token is
// never stored, logged or put in an error message.
import { readFile } from 'node:fs/promises';
import type { HostSourceConfig } from './source-config.ts';

export async function readHostToken(
  host: string,
  config: HostSourceConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (config.tokenEnv) {
    const value = env[config.tokenEnv]?.trim();
    if (!value) throw new Error(`the ${host} token variable ${config.tokenEnv} is not set`);
    return value;
  }
  if (config.tokenFile) {
    let text: string;
    try {
      text = await readFile(config.tokenFile, 'utf8');
    } catch (e) {
      throw new Error(
        `cannot read the ${host} token file ${config.tokenFile}: ${(e as NodeJS.ErrnoException).code}`,
      );
    }
    const value = text.split('\n')[0]?.trim();
    if (!value) throw new Error(`the ${host} token file ${config.tokenFile} is empty`);
    return value;
  }
  throw new Error(`the source names no ${host} token (--${host.toLowerCase()}-token-env or -file)`);
}
