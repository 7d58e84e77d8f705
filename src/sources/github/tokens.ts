// Where a GitHub token comes from: a fixed token (read from an environment variable or a file when
// needed, so rotating it needs no restart), or a GitHub App's installation tokens (minted on demand
// and cached until shortly before they expire).
import { readFile } from 'node:fs/promises';
import { appJwt } from './app-jwt.ts';
import { octokit } from './octokit.ts';

export interface TokenSource {
  /** A token that may act on owner/repo. */
  token(owner: string, repo: string): Promise<string>;
}

/** A token from an environment variable or the first line of a file. */
export class StaticToken implements TokenSource {
  readonly #from: { env: string } | { file: string };
  readonly #environment: NodeJS.ProcessEnv;

  constructor(from: { env: string } | { file: string }, environment: NodeJS.ProcessEnv = process.env) {
    this.#from = from;
    this.#environment = environment;
  }

  async token(): Promise<string> {
    if ('env' in this.#from) {
      const value = this.#environment[this.#from.env]?.trim();
      if (!value) throw new Error(`the GitHub token variable ${this.#from.env} is not set`);
      return value;
    }
    let text: string;
    try {
      text = await readFile(this.#from.file, 'utf8');
    } catch (e) {
      throw new Error(
        `cannot read the GitHub token file ${this.#from.file}: ${(e as NodeJS.ErrnoException).code}`,
      );
    }
    const value = text.split('\n')[0]?.trim();
    if (!value) throw new Error(`the GitHub token file ${this.#from.file} is empty`);
    return value;
  }
}

export interface AppTokensOptions {
  apiUrl: string;
  appId: string;
  privateKey: () => Promise<string>;
  installationId?: number;
}

const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

export class GitHubAppTokens implements TokenSource {
  readonly #opts: AppTokensOptions;
  readonly #tokens = new Map<number, Promise<{ token: string; expiresAt: number }>>();
  readonly #installations = new Map<string, Promise<number>>();

  constructor(opts: AppTokensOptions) {
    this.#opts = opts;
  }

  async token(owner: string, repo: string): Promise<string> {
    return this.installationToken(await this.#installationOf(owner, repo));
  }

  /** Ids of the app's installations (or the one configured). */
  async installations(): Promise<number[]> {
    if (this.#opts.installationId !== undefined) return [this.#opts.installationId];
    const gh = await this.#asApp();
    const all = await gh.paginate(gh.rest.apps.listInstallations, { per_page: 100 });
    return all.map((i) => i.id);
  }

  async installationToken(id: number): Promise<string> {
    let entry = this.#tokens.get(id);
    if (entry) {
      const cached = await entry.catch(() => undefined);
      if (!cached || cached.expiresAt - REFRESH_BEFORE_EXPIRY_MS <= Date.now()) entry = undefined;
    }
    if (!entry) {
      entry = this.#mint(id);
      this.#tokens.set(id, entry);
    }
    return (await entry).token;
  }

  async #mint(id: number): Promise<{ token: string; expiresAt: number }> {
    const gh = await this.#asApp();
    const { data } = await gh.rest.apps.createInstallationAccessToken({ installation_id: id });
    return { token: data.token, expiresAt: Date.parse(data.expires_at) || Date.now() + 30 * 60_000 };
  }

  #installationOf(owner: string, repo: string): Promise<number> {
    if (this.#opts.installationId !== undefined) return Promise.resolve(this.#opts.installationId);
    const key = `${owner}/${repo}`.toLowerCase();
    let found = this.#installations.get(key);
    if (!found) {
      found = this.#asApp().then(
        async (gh) => (await gh.rest.apps.getRepoInstallation({ owner, repo })).data.id,
      );
      found.catch(() => this.#installations.delete(key));
      this.#installations.set(key, found);
    }
    return found;
  }

  async #asApp() {
    return octokit(this.#opts.apiUrl, appJwt(this.#opts.appId, await this.#opts.privateKey()));
  }
}
