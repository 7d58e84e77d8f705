// What the agent's fsmonitor hook is told for one checkout (src/workspace/fsmonitor/agent-hook.ts):
// every path that may have changed since the reset wrote the agent's index with `token`. Seeded
// from the change feed when the watcher starts answering, then grown with every journal the
// watcher clears; never shrinks while the token lasts.
import { readFeedEntries } from '../change-feed.ts';
import { readAgentFsmonitor } from '../fsmonitor/agent-hook.ts';
import type { Journal } from './tree-watches.ts';

/** More paths than this: the hook says "not known", and git stats everything. */
const MAX_PATHS = 20_000;

export class FsmonitorState {
  readonly token: string;
  // Files as git names them; directories with a trailing '/' (git 2.39 marks the entries under a
  // name only when it ends in one).
  readonly #paths = new Set<string>();

  constructor(token: string) {
    this.token = token;
  }

  /** Adds what a journal (or the feed) names; false when there are too many to answer. */
  add(journal: Journal): boolean {
    for (const name of hookNames(journal)) this.#paths.add(name);
    return this.#paths.size <= MAX_PATHS;
  }

  /** The hook's reply: the token, then every path named here or in `pending` (the open journal). */
  reply(pending: Journal): Buffer {
    const all = new Set(this.#paths);
    for (const name of hookNames(pending)) all.add(name);
    // Every field NUL-terminated: git reads the token up to its NUL even when no path follows.
    return Buffer.from([this.token, ...all].map((f) => `${f}\0`).join(''), 'utf8');
  }
}

// What a journal names, as the hook tells git: directories with a trailing '/'.
function* hookNames(journal: Journal): Iterable<string> {
  yield* journal.paths;
  for (const d of journal.dirs) yield `${d}/`;
}

/** The agent index's token and every path the feed says may differ from its base; undefined when not known. */
export async function readFsmonitorSeed(
  gitDir: string,
): Promise<{ token: string; journal: Journal } | undefined> {
  const agent = await readAgentFsmonitor(gitDir);
  if (agent === undefined) return undefined;
  const feed = await readFeedEntries(gitDir, agent.base);
  if (feed === undefined) return undefined;
  return { token: agent.token, journal: { paths: feed.paths, dirs: feed.dirs } };
}
