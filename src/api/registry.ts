/**
 * `aurion-plugin/registry`: registries (SPEC §7) — the PluginRegistry interface and openRegistry, the directory
 * registry's index, the OCI distribution client and the artifact layout; version queries and TUF trust (SPEC §11).
 */

export type { VersionQuery } from '../core/versions.js';
export type { Listing, Resolved, SignedWriter, VersionInfo } from '../registry/catalog.js';
export {
  bundleFileName,
  DirectoryRegistry,
  type IndexEntry,
  type RegistryIndex,
} from '../registry/directory.js';
export { OciClient, type OciClientOptions } from '../registry/oci.js';
export { AURION_MEDIA_TYPE, imageManifest, tagOf } from '../registry/oci-artifact.js';
export { type OciRef, parsePluginRef, parseRegistryRef, type RegistryRef } from '../registry/reference.js';
export {
  type Fetched,
  type FetchOptions,
  type OpenRegistryOptions,
  openRegistry,
  type PluginRegistry,
  type PublishedBundle,
  type RegistryTrust,
  type Stored,
} from '../registry/registry.js';
export type { Scanner } from '../registry/transfer.js';
export type { TufTrust } from '../registry/tuf-client.js';
