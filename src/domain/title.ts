const MAX_TITLE = 80;

/** A short title from a prompt: its first meaningful line outside fenced code blocks, cut at a word boundary. */
export function titleFromPrompt(prompt: string): string {
  let inFence = false;
  for (const raw of prompt.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('```')) {
      inFence = !inFence;
      continue;
    }
    if (inFence || line === '') continue;
    const clean = line.replace(/^#+\s*/, '').replace(/\s+/g, ' ');
    if (clean === '') continue;
    return truncate(clean);
  }
  return 'Untitled session';
}

function truncate(text: string): string {
  if (text.length <= MAX_TITLE) return text;
  const cut = text.slice(0, MAX_TITLE - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > MAX_TITLE / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
