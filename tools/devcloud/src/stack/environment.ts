/**
 * The environment each service gets in the local stack, derived from what provisioning
 * created. One naming convention, the same the services' config schemas use:
 *   <TOPIC>_TOPIC_ARN   for every topic        (jobCompleted -> JOB_COMPLETED_TOPIC_ARN)
 *   <TOPIC>_QUEUE_URL   for the service's own queue on that topic
 *   JOBS_TABLE, INPUTS_BUCKET, RESULTS_BUCKET, RESULTS_VAULT
 * Every service gets every topic ARN; a config schema reads only its own keys.
 */
import type { ProvisionedResources } from '../provision/apply.ts';
import type { ProvisionPlan, ServiceName, TopicKey } from '../provision/plan.ts';

/** jobCompleted -> JOB_COMPLETED */
export function envStem(topicKey: TopicKey): string {
  return topicKey.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export function resourceEnvironment(
  service: ServiceName,
  plan: ProvisionPlan,
  provisioned: ProvisionedResources,
): Record<string, string> {
  const env: Record<string, string> = {
    JOBS_TABLE: provisioned.jobsTable,
    INPUTS_BUCKET: provisioned.buckets.inputs,
    RESULTS_BUCKET: provisioned.buckets.results,
    REFERENCE_BUCKET: provisioned.buckets.reference,
  };
  if (provisioned.resultsVault) env.RESULTS_VAULT = provisioned.resultsVault;
  for (const [key, arn] of Object.entries(provisioned.topicArns) as [TopicKey, string][]) {
    env[`${envStem(key)}_TOPIC_ARN`] = arn;
  }
  for (const queue of plan.queues) {
    if (queue.service !== service) continue;
    env[`${envStem(queue.topicKey)}_QUEUE_URL`] = provisioned.queueUrls[queue.key];
  }
  return env;
}
