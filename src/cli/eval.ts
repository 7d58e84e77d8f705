import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, type ServeFlags } from '../config.ts';
import type { EvalTarget } from '../eval/target.ts';
import { DEFAULT_PATH } from '../sandbox/sandbox-env.ts';
import { addRunnerOptions } from './runner-options.ts';

interface EvalFlags extends ServeFlags {
  server?: string;
  apiKey?: string;
  source?: string;
  cliPreset?: string;
  out: string;
  attempts: string;
  sessionTimeout: string;
  testTimeout: string;
  validate: boolean;
  json?: boolean;
}

function positive(name: string, raw: string, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new ConfigError(`${name} must be an integer between 1 and ${max}; got '${raw}'.`);
  }
  return n;
}

export function registerEvalCommand(program: Command): void {
  addRunnerOptions(
    program
      .command('eval <tasks>')
      .description(
        'Run evaluation tasks (SWE-bench-style JSON Lines) as real sessions and judge each patch with the tasks’ hidden tests.',
      )
      .option('--out <dir>', 'results, reports and the eval server’s data (resumable)', 'eval-out')
      .option('--data-dir <dir>', 'data dir of the eval’s own server (default: OUT/server)')
      .option('--server <url>', 'use this running Stint server instead of one of the eval’s own')
      .option('--api-key <key>', 'API key for --server (default: STINT_API_KEY)')
      .option(
        '--source <name>',
        'with --server: the source (sources/…) holding the tasks’ eval/<id> branches',
      )
      .option(
        '--cli-preset <name>',
        'with --agent cli: claude, codex, gemini, aider, or oracle (applies gold patches)',
      )
      .option('--attempts <k>', 'sessions per task, for pass@k', '1')
      .option('--session-timeout <minutes>', 'cancel a session that takes longer', '30')
      .option('--test-timeout <seconds>', 'limit for each test command', '300')
      .option('--no-validate', 'skip checking that tasks fail without a fix (and pass with the gold patch)')
      .option('--json', 'print the report as JSON'),
  ).action(async (tasksPath: string, flags: EvalFlags) => {
    // Loaded here: the eval's server, runner and sandboxes are for this command only.
    const [
      { prepareOracle },
      { headline },
      { runEval },
      { ownServer, remoteServer },
      { loadTasks },
      { selectSandbox },
    ] = await Promise.all([
      import('../eval/oracle.ts'),
      import('../eval/report.ts'),
      import('../eval/run-eval.ts'),
      import('../eval/target.ts'),
      import('../eval/task.ts'),
      import('../sandbox/index.ts'),
    ]);
    const outDir = resolve(flags.out);
    const tasks = await loadTasks(tasksPath);
    const attempts = positive('--attempts', flags.attempts, 100);
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (flags.cliPreset === 'oracle') {
      Object.assign(env, await prepareOracle(resolve(outDir, 'oracle'), tasks));
      flags.agent = 'cli';
    } else if (flags.cliPreset !== undefined) {
      env.STINT_CLI_AGENT = flags.cliPreset;
    }
    let target: EvalTarget;
    if (flags.server) {
      const apiKey = flags.apiKey ?? process.env.STINT_API_KEY;
      if (!apiKey) throw new ConfigError('--server needs --api-key or STINT_API_KEY.');
      if (!flags.source)
        throw new ConfigError('--server needs --source: the source whose eval/<id> branches hold the tasks.');
      target = remoteServer(flags.server, apiKey, flags.source);
    } else {
      target = await ownServer(resolve(flags.dataDir ?? resolve(outDir, 'server')), flags, {
        STINT_LOG_LEVEL: 'warn',
        ...env,
      });
    }
    try {
      // The tests run with the Node that runs Stint first on PATH (and visible in the sandbox).
      const nodeDir = dirname(process.execPath);
      const { sandbox } = await selectSandbox(
        (flags.sandbox ?? process.env.STINT_SANDBOX ?? 'auto') as 'auto' | 'plain' | 'bubblewrap',
        {
          bubblewrap: { extraReadOnlyPaths: [nodeDir], path: `${nodeDir}:${DEFAULT_PATH}` },
          plain: { path: `${nodeDir}:${process.env.PATH ?? DEFAULT_PATH}` },
        },
      );
      const log = flags.json ? () => undefined : (line: string) => process.stderr.write(`${line}\n`);
      const report = await runEval({
        tasks,
        outDir,
        target,
        sandbox,
        concurrency: positive('--concurrency', flags.concurrency ?? '4', 1000),
        attempts,
        sessionTimeoutMs: positive('--session-timeout', flags.sessionTimeout, 24 * 60) * 60_000,
        testTimeoutMs: positive('--test-timeout', flags.testTimeout, 24 * 3600) * 1000,
        validate: flags.validate,
        log,
      });
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        process.stdout.write(`${headline(report.summary)}\n`);
        for (const [k, v] of Object.entries(report.summary.passAtK)) {
          if (attempts > 1) process.stdout.write(`${k}: ${(100 * v).toFixed(1)} %\n`);
        }
        if (report.rejected.length > 0) process.stdout.write(`Rejected tasks: ${report.rejected.length}\n`);
        process.stdout.write(`Report: ${resolve(outDir, 'report.md')}\n`);
      }
    } finally {
      await target.close();
    }
  });
}
