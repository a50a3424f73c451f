import { afterAll, afterEach, expect } from 'vitest';
import { Addon, type AddonOptions } from './addon.js';

/**
 * Starts add-on processes for one test file, stops them after each test, and
 * at the end runs the canary: no secret a test registered may appear in
 * anything any of them printed or served.
 */
export function useAddons() {
  const running: Addon[] = [];
  const secrets: string[] = [];
  const transcripts: string[] = [];

  afterEach(async () => {
    for (const addon of running.splice(0)) {
      await addon.stop();
      transcripts.push(addon.output, ...addon.bodies);
      await addon.dispose();
    }
  });

  afterAll(() => {
    const everything = transcripts.join('\n');
    expect(everything.length, 'the canary needs something to search').toBeGreaterThan(100);
    for (const secret of secrets)
      expect(everything.includes(secret), 'a secret leaked').toBe(false);
  });

  return {
    async start(
      options: AddonOptions['options'],
      extra: Omit<AddonOptions, 'options'> = {},
    ): Promise<Addon> {
      const addon = await Addon.start({ options, ...extra });
      running.push(addon);
      return addon;
    },
    /** Adds text a test's own processes produced to what the canary searches. */
    record(...texts: string[]): void {
      transcripts.push(...texts);
    },
    /** Registers values for the canary; returns the first, for chaining. */
    secret<T extends string>(...values: T[]): T {
      secrets.push(...values);
      return values[0] as T;
    },
  };
}
