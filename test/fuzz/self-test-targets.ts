/** Targets with known bugs, for the harness's own tests (fuzz.test.ts): each must be caught. */
import { AurionError } from '../../src/errors.js';
import type { FuzzTarget } from './targets.js';

export const TARGETS: readonly FuzzTarget[] = [
  {
    name: 'self-test-refuses',
    description: 'refuses everything with an AurionError: never a failure',
    run: (input) => {
      if (input.length % 2 === 0) throw new AurionError('BUNDLE_INVALID', 'even');
    },
  },
  {
    name: 'self-test-type-error',
    description: 'a TypeError on any input holding the byte 0x42',
    run: (input) => {
      if (input.includes(0x42)) (null as unknown as { x: number }).x;
    },
  },
  {
    name: 'self-test-internal',
    description: 'an AurionError INTERNAL on inputs of 10 bytes or more',
    run: (input) => {
      if (input.length >= 10) throw new AurionError('INTERNAL', 'wrapped an unexpected error');
    },
  },
  {
    name: 'self-test-slow',
    description: 'busy for 60 ms on any input holding the byte 0x07',
    run: (input) => {
      if (!input.includes(0x07)) return;
      const end = performance.now() + 60;
      while (performance.now() < end) {
        // busy
      }
    },
  },
  {
    name: 'self-test-hang',
    description: 'loops forever on inputs of 4 bytes or more',
    run: (input) => {
      while (input.length >= 4) {
        // forever
      }
    },
  },
];
