'use strict';
module.exports = {
  ...require('./slugify'),
  ...require('./wordcount'),
  ...require('./truncate'),
  ...require('./capitalize'),
  ...require('./csv'),
};
