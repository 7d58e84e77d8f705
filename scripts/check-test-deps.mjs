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

const missing = ['git'].filter((c) => !has(c));
if (missing.length > 0) {
  console.error(`Tests need: ${missing.join(', ')}. Install with: apt-get install -y ${missing.join(' ')}`);
  process.exit(1);
}
