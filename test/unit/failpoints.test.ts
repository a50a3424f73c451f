import { afterEach, describe, expect, test } from 'vitest';
import { armedFailpoints, armFailpoints, FailpointError, failpoint } from '../../src/failpoints.js';

const exitCalled = () => {
  throw new Error('exit called');
};

describe('failpoints', () => {
  afterEach(() => {
    armFailpoints('', exitCalled);
  });

  test('off unless armed: an unnamed point does nothing', () => {
    armFailpoints('', exitCalled);
    expect(() => failpoint('rotation.mint.before')).not.toThrow();
    expect(armedFailpoints()).toEqual([]);
  });

  test('"exit" calls the exit handler (SIGKILL in main.ts), "throw" throws from the call', () => {
    const problems = armFailpoints(
      'rotation.mint.after=exit, rotation.publish.before=throw',
      exitCalled,
    );
    expect(problems).toEqual([]);
    expect(armedFailpoints()).toEqual(['rotation.mint.after', 'rotation.publish.before']);
    expect(() => failpoint('rotation.mint.after')).toThrow('exit called');
    expect(() => failpoint('rotation.publish.before')).toThrow(FailpointError);
    expect(() => failpoint('rotation.switch.before')).not.toThrow();
  });

  test('a bad entry is a problem, and the good ones are still armed', () => {
    const problems = armFailpoints(
      'rotation.switch.after=explode,rotation.revoke.before',
      exitCalled,
    );
    expect(problems).toEqual([
      'HTM_FAILPOINTS: "rotation.switch.after=explode" is not "name=exit" or "name=throw"',
    ]);
    expect(armedFailpoints()).toEqual(['rotation.revoke.before']);
  });
});
