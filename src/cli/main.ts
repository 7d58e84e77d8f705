#!/usr/bin/env node
/**
 * The `stint` command's entry point (dist/cli/main.js when run directly). It says which Node it
 * needs before loading the program, whose imports (native modules, Node 24 APIs) would fail first.
 */
import { nodeVersionProblem } from './node-version.ts';

const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  process.stderr.write(problem);
  process.exit(1);
}
await import('./program.ts');
