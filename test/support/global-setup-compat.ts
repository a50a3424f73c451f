import type { TestProject } from 'vitest/node';
import { startShared } from './global-setup.js';

/** The compat project: Home Assistant 2024.3.3, the oldest release the add-on supports. */
export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return startShared(project, 'compat');
}
