// `npm run test:stress`: the whole suite (`npm test`: same command, same --test-concurrency) while a CPU
// hog competes for every core, the way a shared CI runner or a busy laptop does. A test that only passes
// on an idle machine fails here.
//
// The hog is bounded: one busy child process per core (STINT_STRESS_HOGS overrides the count), each of
// which exits by itself when this script goes away or after STINT_STRESS_MAX_MINUTES (default 90), and
// which this script stops at the end, on failure and on SIGINT/SIGTERM. The suite runs in its own
// process group, so that a signal stops all of it (test files, the servers and databases they started),
// not only npm.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const hogCount = Number(process.env.STINT_STRESS_HOGS ?? availableParallelism());
const maxMinutes = Number(process.env.STINT_STRESS_MAX_MINUTES ?? 90);
if (!Number.isInteger(hogCount) || hogCount < 0 || !(maxMinutes > 0)) {
  console.error('STINT_STRESS_HOGS must be a whole number and STINT_STRESS_MAX_MINUTES a positive number.');
  process.exit(2);
}

// Spins, and looks up every ~50 ms whether its parent is still there and its time is up.
const HOG = `
const parent = process.ppid;
const end = Date.now() + ${Math.round(maxMinutes * 60_000)};
for (;;) {
  const t = Date.now() + 50;
  while (Date.now() < t) {}
  if (process.ppid !== parent || Date.now() > end) process.exit(0);
}`;

const hogs = [];
for (let i = 0; i < hogCount; i++) {
  hogs.push(spawn(process.execPath, ['-e', HOG], { stdio: 'ignore' }));
}
function stopHogs() {
  for (const h of hogs) if (h.exitCode === null && h.signalCode === null) h.kill('SIGKILL');
}
process.on('exit', stopHogs);

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
console.log(`test:stress: ${hogCount} CPU hog(s) running; starting \`npm test\``);

const npm = process.env.npm_execpath;
const suite = npm
  ? spawn(process.execPath, [npm, 'test'], { stdio: 'inherit', detached: true })
  : spawn('npm', ['test'], { stdio: 'inherit', detached: true });

function signalSuite(signal) {
  try {
    process.kill(-suite.pid, signal);
  } catch {
    // the group is gone
  }
}
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`test:stress: ${signal} after ${elapsed()}; stopping the suite and the hogs`);
    stopHogs();
    signalSuite('SIGTERM');
    // Whatever ignores SIGTERM (a test file busy in a hook, a database) is killed 10 s later.
    setTimeout(() => signalSuite('SIGKILL'), 10_000).unref();
  });
}

suite.on('exit', (code, signal) => {
  stopHogs();
  // Test files the suite left behind (it was stopped) go with it.
  if (stopping) signalSuite('SIGKILL');
  const ok = code === 0;
  console.log(
    `test:stress: ${ok ? 'PASSED' : 'FAILED'} in ${elapsed()} with ${hogCount} CPU hog(s)` +
      (ok ? '' : ` (npm test ${signal ? `killed by ${signal}` : `exited ${code}`})`),
  );
  process.exit(ok ? 0 : 1);
});
