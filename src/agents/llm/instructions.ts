/**
 * Repository instructions for the agent, by the AGENTS.md convention: the file at the repository
 * root goes into the system prompt; a file in a subdirectory applies to the files under it and wins
 * over the root's, so it is given to the model (once) with the first tool result that touches a
 * path below it. Only regular files are read (a symlink could point out of the checkout), each
 * clipped to a bound.
 */
import { lstat, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';

export const INSTRUCTIONS_FILE = 'AGENTS.md';
/** Characters of one AGENTS.md kept for the model. */
export const MAX_INSTRUCTION_CHARS = 16_000;

async function readInstructions(file: string): Promise<string | undefined> {
  try {
    if (!(await lstat(file)).isFile()) return undefined;
    const text = (await readFile(file, 'utf8')).trim();
    if (text === '') return undefined;
    return text.length > MAX_INSTRUCTION_CHARS
      ? `${text.slice(0, MAX_INSTRUCTION_CHARS)}\n[… the rest of this AGENTS.md was cut: ${text.length - MAX_INSTRUCTION_CHARS} more characters]`
      : text;
  } catch {
    return undefined;
  }
}

/** The root AGENTS.md of the checkout, if any. */
export function rootInstructions(workdir: string): Promise<string | undefined> {
  return readInstructions(join(workdir, INSTRUCTIONS_FILE));
}

/**
 * The AGENTS.md files of the directories between the root (excluded) and `path` (a file or a
 * directory, relative to the root) not given yet, farthest first so the nearest comes last and
 * wins; each is added to `seen`. Undefined when there is nothing new.
 */
export async function nestedInstructions(
  workdir: string,
  path: string,
  isDirectory: boolean,
  seen: Set<string>,
): Promise<string | undefined> {
  if (isAbsolute(path)) return undefined;
  const rel = normalize(path);
  if (rel === '..' || rel.startsWith(`..${sep}`)) return undefined;
  const dirs: string[] = [];
  for (let d = isDirectory ? rel : dirname(rel); d !== '.' && d !== '' && d !== sep; d = dirname(d))
    dirs.push(d);
  const parts: string[] = [];
  for (const dir of dirs.reverse()) {
    const name = `${dir}/${INSTRUCTIONS_FILE}`;
    if (seen.has(name)) continue;
    const text = await readInstructions(join(workdir, dir, INSTRUCTIONS_FILE));
    if (text === undefined) continue;
    seen.add(name);
    parts.push(
      `Instructions from ${name} (they apply to files under ${dir}/ and take precedence over the root's there):\n${text}`,
    );
  }
  return parts.length > 0 ? parts.join('\n\n') : undefined;
}
