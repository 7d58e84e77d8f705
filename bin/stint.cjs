#!/usr/bin/env node
// Launcher for the `stint` command: runs Stint on the Node 24 pinned in the package
// (the `node` dependency), whatever Node started this script.
'use strict';
const { spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const built = path.join(root, 'dist', 'cli', 'main.js');
const source = path.join(root, 'src', 'cli', 'main.ts');
const entry = existsSync(built) ? built : source;

let nodeBin = process.execPath;
if (Number(process.versions.node.split('.')[0]) < 24) {
  try {
    nodeBin = path.join(path.dirname(require.resolve('node/package.json', { paths: [root] })), 'bin', 'node');
  } catch {
    process.stderr.write('stint: needs Node.js 24 or later (the pinned `node` package is missing; run npm install).\n');
    process.exit(1);
  }
}

const child = spawn(nodeBin, [entry, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
