'use strict';

/** The words of the text: runs of non-space characters; [] for blank text. */
function splitWords(text) {
  return String(text)
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
}

module.exports = { splitWords };
