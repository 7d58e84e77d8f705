/**
 * Preload for profiling (`NODE_OPTIONS="--import ./bench/spawn-trace.ts" STINT_SPAWN_TRACE=file`):
 * appends one JSON line per child process the server spawns — the program, its first arguments
 * (git's subcommand), start time and wall duration — so a run can count processes per session and
 * see which ones grow with the repository. Not loaded unless asked for.
 */
import { ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';

const out = process.env.STINT_SPAWN_TRACE;
if (out) {
  type Spawn = (this: ChildProcess, options: { file?: string; args?: string[] }) => unknown;
  const proto = ChildProcess.prototype as unknown as { spawn: Spawn };
  const original = proto.spawn;
  proto.spawn = function (this: ChildProcess, options: { file?: string; args?: string[] }) {
    const t0 = performance.now();
    const started = Date.now();
    const args = (options.args ?? []).slice(1);
    // git: the subcommand is the first argument that is not an option or an option's value.
    let sub = '';
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '-c' || a === '--git-dir' || a === '--work-tree' || a === '-C') {
        i++;
        continue;
      }
      if (!a.startsWith('-')) {
        sub = a;
        break;
      }
    }
    const result = original.call(this, options);
    this.once('exit', () => {
      const line = {
        file: options.file,
        sub,
        pid: this.pid,
        started,
        ms: Math.round((performance.now() - t0) * 10) / 10,
      };
      appendFileSync(out, `${JSON.stringify(line)}\n`);
    });
    return result;
  };
}
