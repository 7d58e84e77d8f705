// The environment a sandboxed command sees: a minimal one, never the server's (which may hold
// API keys and tokens).

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function buildSandboxEnv(opts: {
  cwd: string;
  path?: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    PATH: opts.path ?? DEFAULT_PATH,
    HOME: opts.cwd,
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    ...opts.extra,
  };
}
