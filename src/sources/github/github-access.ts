// Which GitHub API and which credentials serve a source: its own token (named in its config), or
// the server's (a token, or the GitHub App's installation token for the repository).
import { readFile } from 'node:fs/promises';
import type { SourceRecord } from '../../store/store.ts';
import type { GitHubServerConfig } from '../repo-config.ts';
import { DEFAULT_GITHUB_API_URL } from '../repo-config.ts';
import { parseSourceConfig } from '../source-config.ts';
import { GitHubAppTokens, StaticToken, type TokenSource } from './tokens.ts';

export interface GitHubEndpoint {
  apiUrl: string;
  tokens: TokenSource;
}

export class GitHubAccess {
  readonly #server: GitHubEndpoint | undefined;
  readonly #app: GitHubAppTokens | undefined;

  readonly #env: NodeJS.ProcessEnv;

  /** `env` holds the variables the configuration names (the server's environment). */
  constructor(config: GitHubServerConfig | undefined, env: NodeJS.ProcessEnv = process.env) {
    this.#env = env;
    if (!config) return;
    if (config.app) {
      const app = config.app;
      this.#app = new GitHubAppTokens({
        apiUrl: config.apiUrl,
        appId: app.appId,
        privateKey: () => readPrivateKey(env, app.privateKeyEnv, app.privateKeyFile),
        ...(app.installationId !== undefined ? { installationId: app.installationId } : {}),
      });
      this.#server = { apiUrl: config.apiUrl, tokens: this.#app };
    } else if (config.tokenEnv) {
      this.#server = { apiUrl: config.apiUrl, tokens: new StaticToken({ env: config.tokenEnv }, env) };
    }
  }

  /** The server's own credentials, when it has any. */
  get server(): GitHubEndpoint | undefined {
    return this.#server;
  }

  /** The GitHub App's installation tokens, when the server is configured as an app. */
  get app(): GitHubAppTokens | undefined {
    return this.#app;
  }

  /** API and credentials for a GitHub-backed source. */
  forRecord(record: SourceRecord): GitHubEndpoint {
    const config = parseSourceConfig(record.config);
    const gh = config.github;
    if (gh?.tokenEnv || gh?.tokenFile) {
      const tokens = new StaticToken(gh.tokenEnv ? { env: gh.tokenEnv } : { file: gh.tokenFile! }, this.#env);
      return { apiUrl: gh.apiUrl ?? this.#server?.apiUrl ?? DEFAULT_GITHUB_API_URL, tokens };
    }
    if (!this.#server) {
      throw new Error(
        `source ${record.id} uses the server's GitHub credentials, but none are configured ` +
          '(STINT_GITHUB_TOKEN, or STINT_GITHUB_APP_ID with its private key)',
      );
    }
    return gh?.apiUrl ? { ...this.#server, apiUrl: gh.apiUrl } : this.#server;
  }
}

async function readPrivateKey(
  env: NodeJS.ProcessEnv,
  envName: string | undefined,
  file: string | undefined,
): Promise<string> {
  if (envName) {
    const pem = env[envName];
    if (!pem) throw new Error(`${envName} is not set`);
    return pem.replace(/\\n/g, '\n');
  }
  try {
    return await readFile(file!, 'utf8');
  } catch (e) {
    throw new Error(
      `cannot read the GitHub App private key file ${file}: ${(e as NodeJS.ErrnoException).code}`,
    );
  }
}
