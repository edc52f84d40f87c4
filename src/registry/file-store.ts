/** A directory registry's files on the file system, for DirectoryCatalog (SPEC §7, §11). */
import { pathToFileURL } from 'node:url';
import { AurionError } from '../errors.js';
import type { Store } from './catalog.js';
import type { DirectoryRegistry, RegistryIndex } from './directory.js';
import { METADATA_DIR } from './directory.js';
import type { Fetched } from './tuf-client.js';

export class FileStore implements Store {
  readonly cacheKey: string;
  readonly metadataUrl: string;
  readonly targetsUrl: string;

  constructor(
    readonly location: string,
    private readonly registry: DirectoryRegistry,
  ) {
    const root = pathToFileURL(`${registry.root}/`).href;
    this.cacheKey = root;
    this.targetsUrl = root;
    this.metadataUrl = `${root}${METADATA_DIR}/`;
  }

  /** Metadata and targets are files below the registry folder (tuf-client.ts loads only with a TUF root). */
  async fetchFile(url: string): Promise<Fetched> {
    return (await import('./tuf-client.js')).fetchLocalFile(url);
  }

  async readIndex(): Promise<RegistryIndex> {
    if (!(await this.registry.exists())) {
      throw new AurionError('REGISTRY_ERROR', `no directory registry at ${this.registry.root}`, {
        hint: 'check the --registry path; a registry is created by the first publish',
      });
    }
    return this.registry.readIndex();
  }

  /** The catalog found the version in the index it read and checks the copy against it: not read again. */
  openBundle(name: string, version: string): Promise<AsyncIterable<Uint8Array>> {
    return this.registry.openStoredBundle(name, version);
  }
}
