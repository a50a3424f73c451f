import { defineConfig } from 'vitest/config';

// The files of one project share one Home Assistant and read its failed-login
// record, so they run one after another; the compat project runs after the
// integration project (2 cores).
const realParts = {
  fileParallelism: false,
  testTimeout: 120_000,
  hookTimeout: 180_000,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        // The consumer libraries under clients/: Node unit tests, and the
        // Python client's pytest suite launched from test/clients/.
        test: {
          name: 'clients',
          include: ['clients/node/test/**/*.test.ts', 'test/clients/**/*.test.ts'],
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          // Home Assistant 2026.11.0, what users run.
          globalSetup: ['test/support/global-setup.ts'],
          sequence: { groupOrder: 1 },
          ...realParts,
        },
      },
      {
        test: {
          name: 'compat',
          include: ['test/compat/**/*.test.ts'],
          // Home Assistant 2024.3.3, the oldest release the add-on supports.
          globalSetup: ['test/support/global-setup-compat.ts'],
          sequence: { groupOrder: 2 },
          ...realParts,
        },
      },
    ],
  },
});
