import type { Command } from 'commander';

/** Options every process that runs sessions takes (`serve` and `worker`), declared once so they never drift. */
export function addRunnerOptions(cmd: Command): Command {
  return cmd
    .option('--agent <name>', 'agent backend: scripted, llm or cli (STINT_AGENT)')
    .option('--model <provider:model>', 'model of the llm agent, e.g. ollama:qwen2.5-coder (STINT_MODEL)')
    .option('--agent-script <file>', 'default script for the scripted agent (STINT_AGENT_SCRIPT)')
    .option('--concurrency <n>', 'sessions worked at once (STINT_CONCURRENCY)')
    .option('--bash-output', 'attach bashOutput artifacts to command progress')
    .option('--sandbox <kind>', 'agent command isolation: auto, bubblewrap or plain (STINT_SANDBOX)')
    .option(
      '--github-api-url <url>',
      'GitHub (Enterprise) API for the server credentials (STINT_GITHUB_API_URL)',
    )
    .option('--branch-prefix <prefix>', 'AUTO_CREATE_PR pushes to <prefix><session id> (STINT_BRANCH_PREFIX)')
    .option(
      '--workspace-retention <duration>',
      "keep a finished session's checkout this long, e.g. 30m (STINT_WORKSPACE_RETENTION; default 0)",
    );
}
