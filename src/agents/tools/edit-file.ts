/** The `edit_file` tool: replaces exact text in a file of the checkout. */
import { readFileInside, writeFileInside } from './files.ts';

export interface EditResult {
  replacements: number;
  /** Lines of the file before and after, for the progress note. */
  linesBefore: number;
  linesAfter: number;
}

export class EditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EditError';
  }
}

/**
 * Replaces `oldText` by `newText`. `oldText` must occur exactly once, unless `replaceAll`; the
 * error says how often it was found, so the model can add context and try again.
 */
export async function editFileInside(
  root: string,
  path: string,
  oldText: string,
  newText: string,
  replaceAll = false,
): Promise<EditResult> {
  if (oldText === '') throw new EditError('old_text must not be empty (use write_file to create a file)');
  if (oldText === newText) throw new EditError('old_text and new_text are the same');
  let content: string;
  try {
    content = await readFileInside(root, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new EditError(`no such file: ${path}`);
    throw e;
  }
  const count = content.split(oldText).length - 1;
  if (count === 0) {
    throw new EditError(
      `old_text was not found in ${path}; read the file again and copy the text exactly, whitespace included`,
    );
  }
  if (count > 1 && !replaceAll) {
    throw new EditError(
      `old_text occurs ${count} times in ${path}; include more surrounding lines so it is unique, or set replace_all`,
    );
  }
  const updated = replaceAll ? content.split(oldText).join(newText) : content.replace(oldText, () => newText);
  await writeFileInside(root, path, updated);
  return {
    replacements: replaceAll ? count : 1,
    linesBefore: content.split('\n').length,
    linesAfter: updated.split('\n').length,
  };
}
