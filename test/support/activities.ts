/** Reading Activity resources in tests. */

const COMMON = new Set(['name', 'id', 'createTime', 'originator', 'description', 'artifacts']);

/** The activity's one member (agentMessaged, planGenerated, ...). */
export function activityKind(a: any): string {
  return Object.keys(a).find((k) => !COMMON.has(k))!;
}

/** `kind`, or `progressUpdated:TITLE` / `agentMessaged:TEXT` where the text tells steps apart. */
export function describeActivity(a: any): string {
  if (a.progressUpdated) return `progressUpdated:${a.progressUpdated.title}`;
  if (a.agentMessaged) return `agentMessaged:${a.agentMessaged.agentMessage}`;
  return activityKind(a);
}

/**
 * A scripted session that writes a file, waits (the window to kill a process in), writes another:
 * the crash tests' script, and the activities it must end with, each exactly once.
 */
export function crashScript(waitMs: number, tailMs: number) {
  return {
    plan: ['Write a', 'Wait', 'Write b'],
    steps: [
      { progress: 'p1' },
      { write: { path: 'a.txt', content: 'A\n' } },
      { sleep: waitMs },
      { message: 'm1' },
      { write: { path: 'b.txt', content: 'B\n' } },
      { sleep: tailMs },
      { message: 'done' },
    ],
  };
}

export const CRASH_SCRIPT_ACTIVITIES = [
  'planGenerated',
  'planApproved',
  'progressUpdated:p1',
  'progressUpdated:Wrote a.txt',
  'agentMessaged:m1',
  'progressUpdated:Wrote b.txt',
  'agentMessaged:done',
  'progressUpdated:Changes ready',
  'sessionCompleted',
];
