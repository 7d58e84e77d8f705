// Checks (and where possible installs) what the test suite needs beyond npm packages.
import { execFileSync } from 'node:child_process';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `Tests need Node 24 (found ${process.version}); run them with \`npm test\` after \`npm install\`.`,
  );
  process.exit(1);
}

function has(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Installed with apt-get when running as root: tmux drives the terminal test of `stint watch`;
// bubblewrap (bwrap) isolates agent commands and its sandbox tests need it; chromium runs the web UI's
// browser tests (test/web, through playwright-core); curl is the client inside the sandbox in the
// network allowlist tests, whose fake HTTPS hosts get certificates from openssl.
const PACKAGES = {
  git: 'git',
  tmux: 'tmux',
  bwrap: 'bubblewrap',
  chromium: 'chromium',
  curl: 'curl',
  openssl: 'openssl',
};
const toInstall = Object.entries(PACKAGES)
  .filter(([cmd]) => cmd !== 'git' && !has(cmd))
  .map(([, pkg]) => pkg);
if (toInstall.length > 0 && process.getuid?.() === 0 && has('apt-get')) {
  const apt = (...args) =>
    execFileSync('apt-get', args, {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  try {
    apt('install', '-y', '-qq', ...toInstall);
  } catch {
    try {
      apt('update', '-qq');
      apt('install', '-y', '-qq', ...toInstall);
    } catch {}
  }
}

const missing = Object.keys(PACKAGES).filter((c) => !has(c));
if (missing.length > 0) {
  const pkgs = missing.map((c) => PACKAGES[c]).join(' ');
  console.error(`Tests need: ${missing.join(', ')}. Install with: apt-get install -y ${pkgs}`);
  process.exit(1);
}

// bwrap may be installed yet unable to build a sandbox (user namespaces disabled). Then the isolation
// tests cannot run, and a green `npm test` would say nothing about isolation: fail, with the fix,
// unless the run says explicitly that it accepts that (STINT_TEST_ALLOW_NO_SANDBOX=1). The probe is the
// one the server and the sandbox tests use.
const { probeBubblewrap } = await import('../src/sandbox/bubblewrap/probe.ts');
const { sandboxFix } = await import('../test/support/sandbox-probe.ts');
const probe = await probeBubblewrap();
if (!probe.ok) {
  if (process.env.STINT_TEST_ALLOW_NO_SANDBOX === '1') {
    console.warn(`WARNING: bubblewrap cannot build a sandbox here; its isolation tests are SKIPPED: ${probe.reason}`);
  } else {
    console.error(`bubblewrap cannot build a sandbox here, so isolation would go untested. Fix: ${sandboxFix()}`);
    console.error(`(${probe.reason})`);
    process.exit(1);
  }
}
