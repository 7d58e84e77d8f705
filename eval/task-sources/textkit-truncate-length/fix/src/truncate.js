'use strict';

/**
 * Shortens text to at most `max` characters, ending with "..." when it was cut.
 * Text that already fits is returned unchanged.
 */
function truncate(text, max) {
  const s = String(text);
  if (s.length <= max) return s;
  if (max <= 3) return s.slice(0, Math.max(0, max));
  return `${s.slice(0, max - 3)}...`;
}

module.exports = { truncate };
