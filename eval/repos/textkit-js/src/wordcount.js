'use strict';

/** Number of words (runs of non-space characters) in the text. */
function wordCount(text) {
  return String(text).trim().split(/\s+/).length;
}

/** How often each lower-cased word occurs, as a Map in order of first appearance. */
function wordFrequencies(text) {
  const counts = new Map();
  for (const word of String(text).trim().split(/\s+/)) {
    if (word === '') continue;
    const key = word.toLowerCase();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

module.exports = { wordCount, wordFrequencies };
