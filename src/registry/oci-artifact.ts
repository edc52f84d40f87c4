/**
 * An Aurion plugin as an OCI artifact (SPEC §7): repository `<namespace>/<name>`, tag `<version>`, an OCI image
 * manifest with `artifactType` application/vnd.aurion.plugin.v1 whose config blob is the bundle's manifest.json
 * and whose single layer is the bundle itself.
 *
 * The distribution API has no conditional tag update, so "published versions are immutable" is check-then-put
 * here: a tag that exists with another layer is VERSION_EXISTS, but two publishers racing on the same new tag
 * can both pass the check. Tag immutability configured on the registry (Harbor, ECR, GHCR rules, ...) is the
 * hard guarantee.
 */
import { AurionError } from '../errors.js';
import { bundleFileName } from './directory.js';
import { MEDIA_TYPE, type OciClient, sha256Digest } from './oci.js';
import { formatOciRef } from './reference.js';
import { copyAndScan, copyToNewFile, type Scanner } from './transfer.js';

export const AURION_MEDIA_TYPE = {
  artifact: 'application/vnd.aurion.plugin.v1',
  config: 'application/vnd.aurion.plugin.manifest.v1+json',
  layer: 'application/vnd.aurion.plugin.bundle.v1.tar+gzip',
} as const;

export const TITLE_ANNOTATION = 'org.opencontainers.image.title';

/** OCI tags cannot hold '+', so SemVer build metadata is written with '_' (as Helm does). */
export function tagOf(version: string): string {
  return version.replace(/\+/g, '_');
}

export interface PluginArtifact {
  readonly name: string;
  readonly version: string;
  /** manifest.json exactly as stored in the bundle: the config blob. */
  readonly manifestBytes: Uint8Array;
  readonly bundle: { readonly path: string; readonly sha256: string; readonly size: number };
}

export interface PushResult {
  readonly changed: boolean;
  /** `host[:port]/repository:tag` */
  readonly reference: string;
  /** `sha256:<hex>` of the image manifest under the tag. */
  readonly digest: string;
}

/** The image manifest bytes; deterministic, so the same bundle always gives the same manifest digest. */
export function imageManifest(a: PluginArtifact): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.imageManifest,
    artifactType: AURION_MEDIA_TYPE.artifact,
    config: {
      mediaType: AURION_MEDIA_TYPE.config,
      digest: sha256Digest(a.manifestBytes),
      size: a.manifestBytes.byteLength,
    },
    layers: [
      {
        mediaType: AURION_MEDIA_TYPE.layer,
        digest: `sha256:${a.bundle.sha256}`,
        size: a.bundle.size,
        annotations: { [TITLE_ANNOTATION]: bundleFileName(a.name, a.version) },
      },
    ],
  };
  return Buffer.from(JSON.stringify(manifest));
}

/** The bundle layer of a plugin manifest; REGISTRY_ERROR when the manifest is not an Aurion plugin. */
export function bundleLayer(
  bytes: Uint8Array,
  where: string,
  contentType?: string,
): { sha256: string; size: number } {
  const notPlugin = (why: string) =>
    new AurionError('REGISTRY_ERROR', `${where} is not an Aurion plugin: ${why}`, {
      hint: 'publish plugins with aurion-plugin publish; this tag holds something else',
    });
  let m: {
    mediaType?: unknown;
    artifactType?: unknown;
    config?: { mediaType?: unknown };
    layers?: Array<
      { mediaType?: unknown; digest?: unknown; size?: unknown } | null | boolean | number | string
    >;
  };
  try {
    m = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw notPlugin('its manifest is not JSON');
  }
  if (typeof m !== 'object' || m === null) throw notPlugin('its manifest is not a JSON object');
  // `mediaType` is optional in an OCI image manifest; the Content-Type it was served with then tells.
  const mediaType = m.mediaType ?? contentType;
  if (mediaType !== MEDIA_TYPE.imageManifest) {
    throw notPlugin(
      `its manifest media type is ${JSON.stringify(mediaType)}, not ${MEDIA_TYPE.imageManifest}`,
    );
  }
  if (m.artifactType !== AURION_MEDIA_TYPE.artifact && m.config?.mediaType !== AURION_MEDIA_TYPE.config) {
    throw notPlugin(`its artifact type is ${JSON.stringify(m.artifactType ?? m.config?.mediaType)}`);
  }
  if (!Array.isArray(m.layers) || m.layers.length !== 1) {
    throw notPlugin(`it has ${Array.isArray(m.layers) ? m.layers.length : 'no'} layers instead of one`);
  }
  const layer = m.layers[0];
  if (typeof layer !== 'object' || layer === null) {
    throw notPlugin(`its layer is ${JSON.stringify(layer)}, not a JSON object`);
  }
  if (layer.mediaType !== AURION_MEDIA_TYPE.layer) {
    throw notPlugin(`its layer media type is ${JSON.stringify(layer.mediaType)}`);
  }
  const digest = typeof layer.digest === 'string' ? /^sha256:([0-9a-f]{64})$/.exec(layer.digest) : null;
  if (digest === null)
    throw notPlugin(`its layer digest ${JSON.stringify(layer.digest)} is not a sha256 digest`);
  if (typeof layer.size !== 'number' || !Number.isSafeInteger(layer.size) || layer.size < 0) {
    throw notPlugin(`its layer size ${JSON.stringify(layer.size)} is not a byte count`);
  }
  return { sha256: digest[1]!, size: layer.size };
}

/**
 * Pushes a verified bundle: check the tag (same layer: no-op; other content: VERSION_EXISTS), upload the
 * config and bundle blobs unless present, then PUT the manifest under the tag.
 */
export async function pushPlugin(
  client: OciClient,
  a: PluginArtifact,
  onProgress?: (done: number) => void,
): Promise<PushResult> {
  const repo = client.repository(a.name);
  const tag = tagOf(a.version);
  const reference = `${client.ref.authority}/${repo}:${tag}`;
  const existing = await client.getManifest(repo, tag, 'pull,push');
  if (existing !== undefined) {
    let layer: { sha256: string } | undefined;
    try {
      layer = bundleLayer(existing.bytes, reference, existing.mediaType);
    } catch {
      layer = undefined;
    }
    if (layer?.sha256 === a.bundle.sha256) return { changed: false, reference, digest: existing.digest };
    throw new AurionError(
      'VERSION_EXISTS',
      `${a.name}@${a.version} is already published in ${formatOciRef(client.ref)} with other content ` +
        `(${reference} is ${existing.digest}${layer === undefined ? ', not this plugin' : `, bundle sha256 ${layer.sha256}`})`,
      { hint: 'published versions are immutable; bump the version in manifest.json and build again' },
    );
  }
  await client.uploadBlob(repo, {
    digest: sha256Digest(a.manifestBytes),
    size: a.manifestBytes.byteLength,
    data: a.manifestBytes,
  });
  await client.uploadBlob(
    repo,
    { digest: `sha256:${a.bundle.sha256}`, size: a.bundle.size, data: { path: a.bundle.path } },
    onProgress,
  );
  const digest = await client.putManifest(repo, tag, imageManifest(a), MEDIA_TYPE.imageManifest);
  return { changed: true, reference, digest };
}

/** Resolves NAME@VERSION to its bundle layer; NOT_FOUND when the tag (or repository) does not exist. */
export async function resolvePlugin(
  client: OciClient,
  name: string,
  version: string,
): Promise<{
  repository: string;
  reference: string;
  digest: string;
  layer: { sha256: string; size: number };
}> {
  const repo = client.repository(name);
  const tag = tagOf(version);
  const reference = `${client.ref.authority}/${repo}:${tag}`;
  const manifest = await client.getManifest(repo, tag);
  if (manifest === undefined) {
    throw new AurionError(
      'NOT_FOUND',
      `no ${name}@${version} in ${formatOciRef(client.ref)} (${reference} does not exist)`,
      {
        hint: 'check the name, version and registry namespace, or publish it first',
      },
    );
  }
  return {
    repository: repo,
    reference,
    digest: manifest.digest,
    layer: bundleLayer(manifest.bytes, reference, manifest.mediaType),
  };
}

/**
 * Downloads the bundle of NAME@VERSION into the new file `path`, checking the bytes against the layer digest
 * and size of the manifest (DIGEST_MISMATCH: a registry can serve corrupted bytes), scanned in the same pass
 * when asked. The caller removes the file on failure and renames it into place on success.
 */
export async function downloadPlugin<T = undefined>(
  client: OciClient,
  name: string,
  version: string,
  path: string,
  options: {
    readonly onProgress?: (done: number, total: number) => void;
    /** The file the user knows, for I/O error messages. */
    readonly output?: string;
    readonly scan?: Scanner<T>;
  } = {},
): Promise<{ reference: string; digest: string; sha256: string; size: number; scanned?: T }> {
  const resolved = await resolvePlugin(client, name, version);
  const res = await client.openBlob(resolved.repository, `sha256:${resolved.layer.sha256}`);
  const total = resolved.layer.size;
  const { onProgress, output, scan } = options;
  const copyOptions = {
    expected: resolved.layer,
    what: `bundle of ${resolved.reference} from the registry`,
    onProgress: onProgress === undefined ? undefined : (done: number) => onProgress(done, total),
    ...(output === undefined ? {} : { target: output }),
  };
  const body = res.body as AsyncIterable<Buffer>;
  let scanned: T | undefined;
  try {
    if (scan === undefined) await copyToNewFile(body, path, copyOptions);
    else ({ scanned } = await copyAndScan(body, path, copyOptions, scan));
  } catch (e) {
    res.body.destroy();
    if (e instanceof AurionError) throw e;
    throw new AurionError(
      'REGISTRY_ERROR',
      `download of ${resolved.reference} failed: ${(e as Error).message}`,
      {
        hint: 'run pull again',
        cause: e,
      },
    );
  }
  return {
    reference: resolved.reference,
    digest: resolved.digest,
    ...resolved.layer,
    ...(scan === undefined ? {} : { scanned }),
  };
}
