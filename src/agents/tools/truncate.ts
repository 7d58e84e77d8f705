/** Cuts tool output down to a size a model context can afford, saying what was left out. */

export type Keep = 'head' | 'tail' | 'both';

/**
 * `text` if it fits in `max` characters, else the kept part (the start, the end, or both) with a
 * note of how much was dropped and, when given, how to get the rest.
 */
export function clip(text: string, max: number, keep: Keep = 'head', hint = ''): string {
  if (text.length <= max) return text;
  const dropped = text.length - max;
  const note = `[… ${dropped} characters omitted${hint ? `; ${hint}` : ''} …]`;
  if (keep === 'head') return `${text.slice(0, max)}\n${note}`;
  if (keep === 'tail') return `${note}\n${text.slice(text.length - max)}`;
  const half = Math.floor(max / 2);
  return `${text.slice(0, half)}\n${note}\n${text.slice(text.length - (max - half))}`;
}

/** One line of at most `max` characters, for titles. */
export function oneLine(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
