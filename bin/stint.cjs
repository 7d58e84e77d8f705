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
// In a checkout (`npx stint`, `npm install -g .` links to it) run the TypeScript sources, so the
// command never lags behind them; an installed package (no src/, or under node_modules, where Node
// does not strip types) runs the build that `prepare` made.
const inCheckout = existsSync(source) && !root.split(path.sep).includes('node_modules');
const entry = inCheckout || !existsSync(built) ? source : built;

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
const forward = (sig) => child.kill(sig);
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const sig of signals) process.on(sig, forward);
child.on('exit', (code, signal) => {
  if (signal) {
    // Die of the same signal, so the caller sees it: stop forwarding first.
    for (const sig of signals) process.off(sig, forward);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
