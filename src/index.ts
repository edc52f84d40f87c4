/**
 * aurion-plugin as a library: the operations the CLI commands wrap, their options and results, and the
 * errors they throw. Building blocks live behind subpath exports: `aurion-plugin/bundle`, `/wasm`, `/crypto`,
 * `/policy`, `/json`, `/registry` (docs/architecture.md, "Public API").
 */

export {
  type AuthorizationEnvelope,
  type AuthorizationGrant,
  type AuthorizationInput,
  type AuthorizationJob,
  type AuthorizationStatement,
  type Authorizer,
  type AuthorizerTrust,
  addAuthorizationSignature,
  type CheckOptions,
  checkAuthorization,
  createAuthorization,
} from './core/authz/index.js';
export type { BundleContents, ReadBundleOptions } from './core/bundle/index.js';
export { type CacheKey, type CacheKeyInput, computeCacheKey } from './core/cachekey.js';
export type { InspectOptions, InspectReport } from './core/inspect.js';
export type { JobRequest } from './core/job/request.js';
export type { JobResult } from './core/job/result.js';
export { type Ed25519PrivateKey, generateEd25519KeyPair, loadPrivateKey } from './core/keys.js';
export type { TrustPolicy } from './core/policy.js';
export {
  CAPABILITY_RISK,
  type Capability,
  type ContainerSpec,
  type Manifest,
  type ModuleRef,
  RISK_CLASSES,
  type RiskClass,
  requiresAuthorization,
} from './core/types.js';
export {
  exitCodeOf,
  type PluginSummary,
  type SignatureVerdict,
  type Signer,
  type VerifyError,
  type VerifyOptions,
  type VerifyResult,
} from './core/verify.js';
export { AurionError, type ErrorCode, EXIT_CODE_OF, type Issue, isAurionError } from './errors.js';
export { type AuthorizerSources, loadAuthorizerTrust } from './io/authorizers.js';
export { readBundle } from './io/bundle-file.js';
export { loadSigningKeys, type SigningKeySources, type SigningKeys } from './io/signing-keys.js';
export { loadTrust, loadTrustPolicyFile, type TrustSources } from './io/trust.js';
export { type BuildOptions, type BuildResult, buildBundle } from './ops/build.js';
export type { AuthorizationVerdict, RunAuthorization } from './ops/gate.js';
export { type InitOptions, type InitResult, initProject, type RustTarget } from './ops/init.js';
export { inspectBundle } from './ops/inspect.js';
export {
  type ProgressPhase,
  type PublishResult,
  type PullOptions,
  type PullResult,
  publishBundle,
  pullBundle,
  type RegistryOptions,
} from './ops/publish.js';
export { containerRunCommand, type JobSpec, type RunOptions, type RunReport, runPlugin } from './ops/run.js';
export { type SignOptions, type SignResult, signBundle } from './ops/sign.js';
export { verifyBundle, verifyBundles } from './ops/verify.js';
export { generatePgpKeyPair } from './pgp-lazy.js';
export { openRegistry, type PluginRegistry } from './registry/registry.js';
