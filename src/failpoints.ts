// Named points where a test can make the process die or a call fail, to prove
// that what the program persisted before a side effect is enough to recover
// from a crash at exactly that point. Off unless the composition root arms
// them from HTM_FAILPOINTS, e.g. "rotation.mint.after=exit,rotation.publish.before=throw".
// Names in use are listed in docs/rotation.md ("Failpoints").

/** What an armed point does: end the process at once, or throw from the call. */
export type FailpointAction = 'exit' | 'throw';

const armed = new Map<string, FailpointAction>();
let exitNow: () => never = () => {
  throw new Error('failpoints: no exit handler installed');
};

export class FailpointError extends Error {
  constructor(name: string) {
    super(`Failpoint ${name} fired`);
    this.name = 'FailpointError';
  }
}

/**
 * Arms the points named in `spec` ("name=action,…"); returns the problems in
 * it, one per unusable entry. `exit` must end the process without cleanup
 * (the composition root passes a SIGKILL of itself): a crash does not flush.
 */
export function armFailpoints(spec: string, exit: () => never): string[] {
  armed.clear();
  exitNow = exit;
  const problems: string[] = [];
  for (const entry of spec.split(',').map((e) => e.trim())) {
    if (!entry) continue;
    const [name, action = 'exit'] = entry.split('=').map((p) => p.trim());
    if (!name || (action !== 'exit' && action !== 'throw')) {
      problems.push(`HTM_FAILPOINTS: "${entry}" is not "name=exit" or "name=throw"`);
      continue;
    }
    armed.set(name, action);
  }
  return problems;
}

/** Names the points that are armed, for the start-up log. */
export function armedFailpoints(): string[] {
  return [...armed.keys()];
}

/** A failpoint: does nothing unless armed. Call it right before the side effect it names. */
export function failpoint(name: string): void {
  const action = armed.get(name);
  if (action === 'exit') exitNow();
  if (action === 'throw') throw new FailpointError(name);
}
