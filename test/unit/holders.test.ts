import { describe, expect, test } from 'vitest';
import { heldElsewhere, sharedTokens } from '../../src/rotation/holders.js';

const holders = [
  { credential: 'addon', label: "the add-on's connection", refreshTokenId: 'x' },
  { credential: 'consumer:a', label: 'consumer a', refreshTokenId: 'y' },
  { credential: 'consumer:b', label: 'consumer b', refreshTokenId: 'y' },
  { credential: 'consumer:c', label: 'consumer c', refreshTokenId: 'z' },
];

describe('holders', () => {
  test('what is held elsewhere leaves out the credential itself and names every other holder', () => {
    expect(heldElsewhere(holders, 'consumer:b')).toEqual(
      new Map([
        ['x', "the add-on's connection"],
        ['y', 'consumer a'],
        ['z', 'consumer c'],
      ]),
    );
    expect(heldElsewhere(holders, 'consumer:c').get('z')).toBeUndefined();
  });

  test('a token held by two credentials is reported with both', () => {
    expect(sharedTokens(holders)).toEqual(['consumer a and consumer b']);
  });
});
