'use strict';

const { splitWords } = require('./words');

/** Upper-cases the first character of the text. */
function capitalize(text) {
  const s = String(text);
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Upper-cases the first character of every word (words are runs of non-space characters). */
function capitalizeWords(text) {
  return splitWords(text).map(capitalize).join(' ');
}

module.exports = { capitalize, capitalizeWords };
