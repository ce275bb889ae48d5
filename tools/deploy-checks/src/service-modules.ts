/**
 * The root module runs each GAS service as an instance of `modules/service` (today one module
 * block with `for_each` over the services, `module.service["web"]`, ...). The checks of task
 * roles, configuration keys and autoscaling look a service up here by the `name` it passes the
 * module (which names its task family, roles and log group), so they do not depend on how the
 * root spells the calls, and fail loudly when a service has no instance or two.
 */
import type { PlannedInstance, Value } from './hcl-eval.ts';
import { type ServiceName, serviceNames } from './paths.ts';

export const serviceModuleSource = './modules/service';

export type ServiceModuleInputs = { [key: string]: Value };

/** Each service's evaluated module inputs, by service name; throws unless there is exactly one per service. */
export function serviceModuleInputs(modules: PlannedInstance[]): Map<ServiceName, ServiceModuleInputs> {
  const found = new Map<ServiceName, ServiceModuleInputs>();
  for (const m of modules) {
    if (m.attributes.source !== serviceModuleSource) continue;
    const name = m.attributes.name as ServiceName;
    if (!serviceNames.includes(name))
      throw new Error(`${m.address} passes name = ${JSON.stringify(name)}, which is not a GAS service`);
    if (found.has(name)) throw new Error(`${m.address}: a second instance of modules/service for ${name}`);
    found.set(name, m.attributes);
  }
  const missing = serviceNames.filter((s) => !found.has(s));
  if (missing.length > 0) throw new Error(`no modules/service instance for ${missing.join(', ')}`);
  return found;
}
