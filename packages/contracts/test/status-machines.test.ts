import { describe, expect, it } from 'vitest';
import {
  assertTransition,
  canTransition,
  InvalidTransitionError,
  jobStatuses,
  jobStatusMachine,
  resultsStatuses,
  resultsStatusMachine,
  statusesLeadingTo,
} from '../src/index.ts';

describe('job status machine', () => {
  it('allows exactly the documented transitions', () => {
    const allowed = jobStatuses.flatMap((from) =>
      jobStatuses.filter((to) => canTransition(jobStatusMachine, from, to)).map((to) => `${from}->${to}`),
    );
    expect(allowed).toEqual([
      'PENDING->RUNNING',
      'PENDING->FAILED',
      'RUNNING->RUNNING',
      'RUNNING->COMPLETED',
      'RUNNING->FAILED',
    ]);
  });

  it('final states go nowhere, and the error says so', () => {
    const error = (() => {
      try {
        assertTransition(jobStatusMachine, 'COMPLETED', 'RUNNING');
      } catch (caught) {
        return caught as InvalidTransitionError;
      }
      throw new Error('expected an InvalidTransitionError');
    })();
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(error.name).toBe('InvalidTransitionError');
    expect(error.message).toBe(
      'job status cannot change from COMPLETED to RUNNING; from COMPLETED it may go to nothing (final state)',
    );
    expect(() => assertTransition(jobStatusMachine, 'PENDING', 'COMPLETED')).toThrow(
      'from PENDING it may go to RUNNING, FAILED',
    );
    expect(() => assertTransition(jobStatusMachine, 'PENDING', 'RUNNING')).not.toThrow();
  });

  it('lists what may precede a status (for conditional writes)', () => {
    expect(statusesLeadingTo(jobStatusMachine, 'FAILED')).toEqual(['PENDING', 'RUNNING']);
    expect(statusesLeadingTo(jobStatusMachine, 'COMPLETED')).toEqual(['RUNNING']);
    expect(statusesLeadingTo(jobStatusMachine, 'PENDING')).toEqual([]);
  });
});

describe('results status machine', () => {
  it('allows exactly the documented cycle plus a failed restore', () => {
    const allowed = resultsStatuses.flatMap((from) =>
      resultsStatuses
        .filter((to) => canTransition(resultsStatusMachine, from, to))
        .map((to) => `${from}->${to}`),
    );
    expect(allowed).toEqual([
      'AVAILABLE->ARCHIVED',
      'ARCHIVED->RESTORING',
      'RESTORING->AVAILABLE',
      'RESTORING->ARCHIVED',
    ]);
  });

  it('refuses skipping the restore', () => {
    expect(() => assertTransition(resultsStatusMachine, 'ARCHIVED', 'AVAILABLE')).toThrow(
      InvalidTransitionError,
    );
  });
});
