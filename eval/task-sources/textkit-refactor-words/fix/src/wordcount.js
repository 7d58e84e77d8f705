'use strict';

const { splitWords } = require('./words');

/** Number of words (runs of non-space characters) in the text. */
function wordCount(text) {
  return Math.max(1, splitWords(text).length);
}

/** How often each lower-cased word occurs, as a Map in order of first appearance. */
function wordFrequencies(text) {
  const counts = new Map();
  for (const word of splitWords(text)) {
    const key = word.toLowerCase();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

module.exports = { wordCount, wordFrequencies };
