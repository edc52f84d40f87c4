/**
 * The Rust SDK's sources as this installation of aurion-plugin ships them (package.json "files": sdk/rust),
 * for `init --template rust` to vendor. Found from this module's own location: dist/src/io/ in the package, or
 * dist/src/cli/ when bundled into the CLI (import.meta.url is then the bundle's) — three levels below the root
 * either way.
 */
import { fileURLToPath } from 'node:url';
import { SDK_FILES, type TemplateFile } from '../core/rust-template.js';
import { AurionError } from '../errors.js';
import { readSmallFile } from './files.js';

/** sdk/rust of this package. */
export function sdkSourceDir(): string {
  return fileURLToPath(new URL('../../../sdk/rust/', import.meta.url));
}

/** Reads the SDK's files (SDK_FILES), relative paths as in the SDK folder. */
export async function readSdkSources(): Promise<TemplateFile[]> {
  const dir = sdkSourceDir();
  const files: TemplateFile[] = [];
  for (const path of SDK_FILES) {
    try {
      files.push({
        path,
        content: (await readSmallFile(`${dir}${path}`, 'Rust SDK source', 1024 * 1024)).toString('utf8'),
      });
    } catch (e) {
      if (!(e instanceof AurionError)) throw e;
      throw new AurionError('IO_ERROR', `${e.message} (the Rust SDK that init --template rust vendors)`, {
        hint: 'this installation of aurion-plugin lacks sdk/rust; reinstall the package',
      });
    }
  }
  return files;
}
