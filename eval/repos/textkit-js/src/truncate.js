'use strict';

/**
 * Shortens text to at most `max` characters, ending with "..." when it was cut.
 * Text that already fits is returned unchanged.
 */
function truncate(text, max) {
  const s = String(text);
  if (s.length <= max) return s;
  return `${s.slice(0, max)}...`;
}

module.exports = { truncate };
