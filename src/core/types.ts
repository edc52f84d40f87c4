/** Shared data types of the plugin model (SPEC §3, plugin-model.md). */

export const RISK_CLASSES = ['Low', 'Medium', 'High'] as const;
export type RiskClass = (typeof RISK_CLASSES)[number];

/** The capability table of the plugin model: each capability's risk class. */
export const CAPABILITY_RISK = {
  PassiveEnum: 'Low',
  PortScan: 'Medium',
  VulnerabilityScan: 'High',
  Fuzz: 'High',
} as const satisfies Record<string, RiskClass>;
export type Capability = keyof typeof CAPABILITY_RISK;

/** Orders risk classes: Low < Medium < High. */
export function riskRank(risk: RiskClass): number {
  return RISK_CLASSES.indexOf(risk);
}

/** Medium and High capabilities need an AuthorizationBundle at run time (plugin model). */
export function requiresAuthorization(risk: RiskClass): boolean {
  return risk !== 'Low';
}

export interface ContainerSpec {
  readonly image: string;
  readonly user: string;
  readonly read_only_rootfs: true;
  readonly seccomp_profile: string;
  readonly apparmor_profile: string;
  readonly env?: readonly string[];
}

export interface ModuleRef {
  readonly path: string;
  /** Present in a bundle: hex SHA-256 of module.wasm. */
  readonly sha256?: string;
  /** Present in a bundle: size of module.wasm in bytes. */
  readonly size?: number;
}

/** A manifest that passed the schema and the cross-field rules. */
export interface Manifest {
  readonly schema_version: 1;
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly capabilities: readonly Capability[];
  readonly risk_class: RiskClass;
  readonly supported_scopes?: readonly string[];
  readonly runtime: 'wasm' | 'container';
  readonly module?: ModuleRef;
  readonly container?: ContainerSpec;
  readonly host_imports?: readonly string[];
  readonly limits?: { readonly memory_mib?: number; readonly timeout_seconds?: number };
  readonly author?: string;
  readonly license?: string;
  readonly homepage?: string;
  readonly [extension: `x-${string}`]: unknown;
}
