/**
 * The Node.js the `stint` command needs, checked before anything else loads: the native
 * better-sqlite3 build and the Node 24 APIs Stint uses would otherwise fail on an older Node with a
 * crash or a link error that names neither. Keep this file free of imports (it must load anywhere)
 * and MIN_NODE_MAJOR in step with package.json's `engines` (a test checks both).
 */
export const MIN_NODE_MAJOR = 24;

/** The one-line refusal for `version` (process.versions.node), or undefined when it will do. */
export function nodeVersionProblem(version: string): string | undefined {
  const major = Number(version.split('.')[0]);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return undefined;
  return (
    `stint: needs Node.js ${MIN_NODE_MAJOR} or later, but this is Node.js ${version}; ` +
    'run it through `npx stint` (which uses the Node pinned in the package) or with a newer node.\n'
  );
}
