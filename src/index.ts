/**
 * aurion-plugin as a library. The CLI commands are thin wrappers over these functions.
 */

export {
  AUTHORIZATION_PAYLOAD_TYPE,
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
  type ParsedAuthorization,
  pae,
  parseAuthorization,
  parseTarget,
} from './core/authz/index.js';
export { type BuildOptions, type BuildResult, buildBundle } from './core/build.js';
export {
  type BundleContents,
  type BundleSignatures,
  type BundleSpec,
  checkModuleDigest,
  DEFAULT_LIMITS,
  ENTRY,
  parseSize,
  type ReadBundleOptions,
  readBundle,
  rewriteBundle,
  type WrittenBundle,
  writeBundle,
} from './core/bundle/index.js';
export { type CacheKey, type CacheKeyInput, computeCacheKey } from './core/cachekey.js';
export {
  type CanonicalJsonOptions,
  canonicalJson,
  canonicalJsonNode,
  canonicalNumber,
  formatF64,
  parseSerdeNumber,
  type SerdeNumber,
} from './core/canonical-json.js';
export { publicKeyProblem, type RawPublicKey, signEd25519, verifyEd25519 } from './core/ed25519.js';
export {
  type Envelope,
  envelopeSignatures,
  manifestDigest,
  parseEnvelope,
  type SignedContent,
  type SubjectKind,
  serializeEnvelope,
  subjectOf,
} from './core/envelope.js';
export { type InitOptions, type InitResult, initProject } from './core/init.js';
export {
  type InspectOptions,
  type InspectReport,
  inspectBundle,
  inspectContents,
  type PluginInfoJson,
  pluginInfoJson,
  type RegisterRequestJson,
  registerRequestJson,
} from './core/inspect.js';
export type { ContainerEngine } from './core/job/container.js';
export { type JobRequest, parseJobRequest, stdinObject } from './core/job/request.js';
export type { JobResult } from './core/job/result.js';
export { type JsonNode, JsonParseError, parseJson, parseJsonNode } from './core/json.js';
export {
  type Ed25519PrivateKey,
  type Ed25519PublicKey,
  type GeneratedKeyPair,
  generateEd25519KeyPair,
  keyIdOf,
  loadPrivateKey,
  loadPublicKey,
  publicKeyFromRaw,
  publicKeyPem,
} from './core/keys.js';
export { type ManifestContext, parseManifest, validateManifest } from './core/manifest.js';
// Types only: openpgp.js is heavy, so src/core/pgp.js is loaded with `await import()` where it is needed.
export type {
  GeneratePgpOptions,
  PgpKeyPair,
  PgpPrivateKey,
  PgpPublicKey,
  PgpVerification,
} from './core/pgp.js';
export {
  effectiveRiskClass,
  evaluateRules,
  globMatch,
  isRevoked,
  mergeTrust,
  type PolicyContext,
  parseTrustPolicy,
  type TrustedKey,
  type TrustedPgpKey,
  type TrustPolicy,
  type TrustRules,
  trustedKeyFromPem,
  trustedPgpKeysFromArmored,
} from './core/policy.js';
export { type SignOptions, type SignResult, signBundle } from './core/sign.js';
export * from './core/types.js';
export {
  exitCodeOf,
  type PluginSummary,
  type SignatureVerdict,
  type Signer,
  type VerifyError,
  type VerifyOptions,
  type VerifyResult,
  verifyBundle,
  verifyBundles,
  verifyContents,
} from './core/verify.js';
export {
  checkWasm,
  DEFAULT_MEMORY_MIB,
  type ExternKind,
  NONDETERMINISTIC_WASI_IMPORTS,
  nondeterministicImports,
  scanWasm,
  scanWasmFile,
  WASI_MODULE,
  WASM_PAGE_SIZE,
  type WasmCustomSection,
  type WasmExport,
  type WasmImport,
  type WasmInfo,
  type WasmMemory,
  WasmScanner,
  type WasmScannerOptions,
} from './core/wasm.js';
export { AurionError, type ErrorCode, EXIT_CODE_OF, type Issue, isAurionError } from './errors.js';
export { type AuthorizerSources, loadAuthorizerTrust } from './io/authorizers.js';
export { loadTrust, loadTrustPolicyFile, type TrustSources } from './io/trust.js';
export type { AuthorizationVerdict, RunAuthorization } from './ops/gate.js';
export {
  containerRunCommand,
  type JobSpec,
  type RunOptions,
  type RunReport,
  runPlugin,
} from './ops/run.js';
export {
  generatePgpKeyPair,
  loadPgpPrivateKey,
  loadPgpPublicKeys,
  signDetached,
  verifyDetached,
} from './pgp-lazy.js';
export {
  bundleFileName,
  DirectoryRegistry,
  type IndexEntry,
  type RegistryIndex,
} from './registry/directory.js';
export { OciClient, type OciClientOptions } from './registry/oci.js';
export { AURION_MEDIA_TYPE, imageManifest, tagOf } from './registry/oci-artifact.js';
export {
  type ProgressPhase,
  type PublishResult,
  type PullOptions,
  type PullResult,
  publishBundle,
  pullBundle,
  type RegistryOptions,
} from './registry/publish.js';
export { type OciRef, parsePluginRef, parseRegistryRef, type RegistryRef } from './registry/reference.js';
