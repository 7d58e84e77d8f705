// Pure validation of branch names and repository-relative paths (no git call).

const MAX_REF_NAME_LENGTH = 255;
// ASCII control characters, DEL, space and the characters git forbids in ref names.
const FORBIDDEN_REF_CHARS = /[\x00-\x20\x7f~^:?*[\\]/;

/**
 * Whether `name` is a branch name git accepts (`git check-ref-format --branch` rules) that is also
 * safe to pass on a command line: it cannot start with '-', so it is never taken as an option.
 */
export function isSafeRefName(name: string): boolean {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_REF_NAME_LENGTH) return false;
  if (name.startsWith('-') || name === '@') return false;
  if (FORBIDDEN_REF_CHARS.test(name)) return false;
  if (name.includes('..') || name.includes('@{') || name.includes('//')) return false;
  if (name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) return false;
  for (const component of name.split('/')) {
    if (component.startsWith('.') || component.endsWith('.lock')) return false;
  }
  return true;
}

/**
 * Whether `p` names something inside a repository's working tree: non-empty, relative, no NUL,
 * no '..' segment and no '.git' segment (any case; '\' counts as a separator too).
 * Symlinks are not considered: resolve the real path before trusting it for file access.
 */
export function isSafeRelativePath(p: string): boolean {
  if (typeof p !== 'string' || p.length === 0 || p.includes('\0')) return false;
  if (p.startsWith('/') || p.startsWith('\\') || /^[a-zA-Z]:/.test(p)) return false;
  for (const segment of p.split(/[/\\]/)) {
    if (segment === '..') return false;
    if (segment.toLowerCase() === '.git') return false;
  }
  return true;
}
