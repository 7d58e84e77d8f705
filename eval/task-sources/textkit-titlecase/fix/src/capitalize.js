'use strict';

const SMALL_WORDS = new Set(['a', 'an', 'and', 'of', 'the', 'in', 'on', 'to']);

/** Upper-cases the first character of the text. */
function capitalize(text) {
  const s = String(text);
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Upper-cases the first character of every word (words are runs of non-space characters). */
function capitalizeWords(text) {
  return String(text)
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '')
    .map(capitalize)
    .join(' ');
}

/** Title case: every word capitalized and the rest lower-cased, small words lower-case after the first. */
function titleCase(text) {
  return String(text)
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '')
    .map((w, i) => {
      const lower = w.toLowerCase();
      return i > 0 && SMALL_WORDS.has(lower) ? lower : capitalize(lower);
    })
    .join(' ');
}

module.exports = { capitalize, capitalizeWords, titleCase };
