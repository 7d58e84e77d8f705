'use strict';

/** Splits one CSV line into its fields. */
function parseCsvLine(line) {
  return String(line).split(',');
}

module.exports = { parseCsvLine };
