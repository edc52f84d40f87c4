/**
 * `authz verify --plugin BUNDLE`: the job's plugin as the bundle describes it — name, capabilities and
 * effective risk class (the trust policy's `risk_class_overrides` applied, as `verify` and `run` do).
 */

import { effectiveRiskClass } from '../core/policy.js';
import type { Capability, RiskClass } from '../core/types.js';
import { readBundle } from '../io/bundle-file.js';
import { loadTrustPolicyFile } from '../io/trust.js';

export async function pluginOfBundle(
  bundlePath: string,
  trustPolicy: string | undefined,
): Promise<{ name: string; capabilities: Capability[]; riskClass: RiskClass }> {
  const { manifest } = await readBundle(bundlePath);
  const riskClass =
    trustPolicy === undefined
      ? manifest.risk_class
      : effectiveRiskClass(await loadTrustPolicyFile(trustPolicy), manifest);
  return { name: manifest.name, capabilities: [...manifest.capabilities], riskClass };
}
