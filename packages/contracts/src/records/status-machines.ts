/**
 * The two status machines of a job record, with the allowed transitions AS DATA so that
 * code, tests and docs read one table. Writers still enforce them in DynamoDB with a
 * conditional update (`status = :from`); `assertTransition` is the in-process check.
 *
 * Job status:      PENDING -> RUNNING -> COMPLETED | FAILED
 *                  RUNNING -> RUNNING   lease takeover: an annotator that crashed leaves the
 *                                       job RUNNING; when its lease (`lease_expires_at`) has
 *                                       passed and SQS redelivers the message, another
 *                                       annotator takes the job over (condition: lease expired).
 *                  PENDING -> FAILED    the job cannot start at all (input gone, over the tier
 *                                       limit); the user still gets a FAILED job with a reason.
 * Results status:  AVAILABLE -> ARCHIVED -> RESTORING -> AVAILABLE
 *                  RESTORING -> ARCHIVED  a restore failed or expired; the thawer may retry.
 * A job gets a results status only once it is COMPLETED.
 */
import Type, { type Static } from 'typebox';
import { InvalidTransitionError } from '../errors.ts';

export const jobStatuses = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED'] as const;
export const JobStatus = Type.Enum(jobStatuses, { description: 'job status' });
export type JobStatus = Static<typeof JobStatus>;

export const resultsStatuses = ['AVAILABLE', 'ARCHIVED', 'RESTORING'] as const;
export const ResultsStatus = Type.Enum(resultsStatuses, { description: 'where the results file is' });
export type ResultsStatus = Static<typeof ResultsStatus>;

export const jobTransitions: { readonly [From in JobStatus]: readonly JobStatus[] } = {
  PENDING: ['RUNNING', 'FAILED'],
  RUNNING: ['RUNNING', 'COMPLETED', 'FAILED'],
  COMPLETED: [],
  FAILED: [],
};

export const resultsTransitions: { readonly [From in ResultsStatus]: readonly ResultsStatus[] } = {
  AVAILABLE: ['ARCHIVED'],
  ARCHIVED: ['RESTORING'],
  RESTORING: ['AVAILABLE', 'ARCHIVED'],
};

export type StatusMachine<S extends string> = {
  readonly name: string;
  readonly transitions: { readonly [From in S]: readonly S[] };
};

export const jobStatusMachine: StatusMachine<JobStatus> = { name: 'job', transitions: jobTransitions };
export const resultsStatusMachine: StatusMachine<ResultsStatus> = {
  name: 'results',
  transitions: resultsTransitions,
};

export function canTransition<S extends string>(machine: StatusMachine<S>, from: S, to: S): boolean {
  return machine.transitions[from]?.includes(to) ?? false;
}

/** Throws `InvalidTransitionError` (naming what is allowed) when `from -> to` is not in the table. */
export function assertTransition<S extends string>(machine: StatusMachine<S>, from: S, to: S): void {
  if (!canTransition(machine, from, to)) {
    throw new InvalidTransitionError(machine.name, from, to, machine.transitions[from] ?? []);
  }
}

/** The statuses that may precede `to`: what a conditional update lists in `status IN (...)`. */
export function statusesLeadingTo<S extends string>(machine: StatusMachine<S>, to: S): S[] {
  return (Object.keys(machine.transitions) as S[]).filter((from) => machine.transitions[from].includes(to));
}
