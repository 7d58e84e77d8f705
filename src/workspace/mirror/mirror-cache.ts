// The mirrors of all sources, one bare repository each under one root directory. A mirror belongs
// to one tenant's source and URL: two tenants registering the same URL never share objects fetched
// with the other's credentials.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { stripUrlUserinfo } from '../redact.ts';
import { removeTree } from '../remove-tree.ts';
import { Mirror } from './mirror.ts';

export interface MirrorIdentity {
  tenantId: string;
  /** provider/owner/repo */
  sourceId: string;
  /** The source's URL (credentials in it are ignored). */
  url: string;
}

export class MirrorCache {
  readonly root: string;
  readonly #mirrors = new Map<string, Mirror>();

  constructor(root: string) {
    this.root = root;
  }

  /** The mirror of a source (not created or fetched until its first fetch). */
  get(identity: MirrorIdentity): Mirror {
    return this.#byKey(mirrorKey(identity));
  }

  /** Every mirror on disk. */
  async all(): Promise<Mirror[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    return names
      .filter((n) => n.endsWith('.git') && !n.startsWith('.'))
      .map((n) => this.#byKey(n.slice(0, -4)));
  }

  #byKey(key: string): Mirror {
    let mirror = this.#mirrors.get(key);
    if (!mirror) {
      mirror = new Mirror(join(this.root, `${key}.git`));
      this.#mirrors.set(key, mirror);
    }
    return mirror;
  }

  /** Removes clones left half-made by a crash. */
  async removeLeftovers(): Promise<void> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    for (const name of names) {
      if (name.startsWith('.tmp-')) await removeTree(join(this.root, name));
    }
  }
}

/** A readable, collision-free directory name for a source's mirror. */
export function mirrorKey(identity: MirrorIdentity): string {
  const hash = createHash('sha256')
    .update(`${identity.tenantId}\0${identity.sourceId}\0${stripUrlUserinfo(identity.url)}`)
    .digest('hex')
    .slice(0, 16);
  const readable = identity.sourceId
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[.-]+/, '')
    .slice(0, 80);
  return `${readable}-${hash}`;
}
