'use strict';

/** Lower-case, ASCII-only, words joined by single dashes: "Hello, World!" -> "hello-world". */
function slugify(text) {
  return String(text)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '-');
}

module.exports = { slugify };
