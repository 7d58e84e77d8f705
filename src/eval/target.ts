/**
 * Where an eval's sessions run: a Stint server of the eval's own (in this process, on a data dir
 * under the output folder, with the chosen agent) or a running server given by URL. Either way the
 * sessions go through the HTTP API, so the eval measures exactly what users get.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_TENANT, registerApiKey } from '../api/auth.ts';
import { StintApi } from '../cli/client/api.ts';
import { HttpClient } from '../cli/client/http-client.ts';
import { buildConfig, type ServeFlags } from '../config.ts';
import { sourceName } from '../domain/names.ts';
import { createStint } from '../server.ts';
import { SourceService } from '../services/source-service.ts';
import { repoSlug, type TaskRepo } from './repo.ts';

export interface EvalTarget {
  api: StintApi;
  /** Describes the agent, for the report. */
  agent: string;
  /** The source name a session on this repository uses. */
  sourceFor(repo: string, local: TaskRepo): Promise<string>;
  close(): Promise<void>;
}

/** A server of the eval's own: its store in `dataDir`, its agent from `flags` and `env`. */
export async function ownServer(
  dataDir: string,
  flags: ServeFlags,
  env: NodeJS.ProcessEnv,
): Promise<EvalTarget> {
  const config = buildConfig({ ...flags, host: '127.0.0.1', port: '0', dataDir }, env);
  const stint = await createStint(config);
  try {
    const key = `eval_${randomBytes(18).toString('base64url')}`;
    await registerApiKey(stint.store, key, { name: 'stint eval', role: 'admin' });
    const origin = await stint.listen();
    const sources = new SourceService(stint.store);
    const registered = new Set<string>();
    const agent =
      config.agent === 'llm' && config.model
        ? `llm (${config.model.provider}:${config.model.model})`
        : config.agent === 'cli' && config.cliAgent
          ? `cli (${config.cliAgent.name})`
          : 'scripted';
    return {
      api: new StintApi(new HttpClient({ origin, apiKey: key, userAgent: 'stint-eval', retryForMs: 60_000 })),
      agent,
      async sourceFor(repo, local) {
        const id = `eval/tasks/${repoSlug(repo)}`;
        if (!registered.has(id)) {
          await sources.register({
            tenantId: DEFAULT_TENANT,
            id,
            gitUrl: local.path,
            isPrivate: false,
            config: {},
          });
          registered.add(id);
        }
        return sourceName(id);
      },
      close: () => stint.close(),
    };
  } catch (e) {
    await stint.close();
    throw e;
  }
}

/**
 * A running server: its sessions must be able to check out each task's repository, so every task
 * names a source registered there (`--source`), and the branch that holds the base commit.
 */
export function remoteServer(origin: string, apiKey: string, source: string): EvalTarget {
  return {
    api: new StintApi(
      new HttpClient({
        origin: origin.replace(/\/+$/, ''),
        apiKey,
        userAgent: 'stint-eval',
        retryForMs: 60_000,
      }),
    ),
    agent: `server at ${origin}`,
    sourceFor: async () => source,
    close: async () => undefined,
  };
}
