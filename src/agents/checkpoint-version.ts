/**
 * Which agent wrote a checkpoint, and in which version. Every agent stamps its checkpoints with
 * its kind (`agent`) and version (`v`) and checks them before resuming: a checkpoint another agent
 * wrote (the operator changed --agent while sessions were waiting) or a newer version of its own
 * (written by a newer Stint) fails the session with the reason instead of being read as something
 * it is not. Checkpoints from before the stamp carry only `v: 1`; each agent recognises its own by
 * their shape, so they stay loadable.
 */

export type AgentKind = 'scripted' | 'llm' | 'cli';

export interface CheckpointFormat {
  agent: AgentKind;
  /** The newest version this code reads (and writes). */
  version: number;
  /**
   * Whether the object has this agent's shape: decides whether an unstamped version-1 object is
   * this agent's (checkpoints written before the stamp), and refuses a malformed stamped one.
   */
  hasShape(o: Record<string, unknown>): boolean;
}

/**
 * Why the checkpoint cannot be resumed by this agent, or undefined when it can (also when there is
 * none yet). The reason completes "Cannot resume the session: …".
 */
export function refuseCheckpoint(raw: unknown, format: CheckpointFormat): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) return 'the saved agent state is not an object';
  const o = raw as Record<string, unknown>;
  const v = o.v;
  if (o.agent === undefined) {
    if (v === 1 && format.hasShape(o)) return undefined;
    return `the saved agent state was not written by the ${format.agent} agent (was --agent changed while the session waited?)`;
  }
  if (o.agent !== format.agent) {
    return `the saved agent state was written by the ${String(o.agent)} agent, and this server runs the ${format.agent} agent (was --agent changed while the session waited?)`;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    return `the saved agent state has unknown version ${String(v)}`;
  }
  if (v > format.version) {
    return `the saved agent state is version ${v} of the ${format.agent} agent, newer than this server reads (up to ${format.version}); run a newer Stint`;
  }
  if (!format.hasShape(o)) return `the saved agent state of the ${format.agent} agent is malformed`;
  return undefined;
}
