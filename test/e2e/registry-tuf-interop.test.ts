/**
 * SPEC §11 interop: the metadata `registry init` and `publish` write is what any TUF 1.0 client accepts. Checked
 * with an implementation other than the one that wrote it: Python's json (canonical form: sorted keys, no
 * whitespace) and `cryptography`'s Ed25519 verify every role's signatures and key ids; and the canonical JSON
 * rules of the specification are checked on the bytes @tufjs/canonical-json signs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { canonicalize } from '@tufjs/canonical-json';
import { ed25519Key, writePem } from '../fixtures/keys.js';
import { setup } from '../fixtures/registry.js';
import { runCli } from '../helpers.js';

const run = promisify(execFile);

const VERIFY = `
import hashlib, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
meta = sys.argv[1]
def canon(o):
    return json.dumps(o, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
def load(name):
    with open(meta + '/' + name, 'rb') as f:
        return json.load(f)
root = load('root.json')
ts = load('timestamp.json')
snap = load('%d.snapshot.json' % ts['signed']['meta']['snapshot.json']['version'])
targets = load('%d.targets.json' % snap['signed']['meta']['targets.json']['version'])
keys = root['signed']['keys']
for keyid, key in keys.items():
    assert hashlib.sha256(canon(key)).hexdigest() == keyid, 'key id of ' + keyid
checked = []
for role, md in (('root', root), ('timestamp', ts), ('snapshot', snap), ('targets', targets)):
    assert md['signed']['_type'] == role
    assert md['signed']['spec_version'].startswith('1.0.')
    spec = root['signed']['roles'][role]
    good = 0
    for sig in md['signatures']:
        if sig['keyid'] not in spec['keyids']:
            continue
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(keys[sig['keyid']]['keyval']['public'])).verify(
            bytes.fromhex(sig['sig']), canon(md['signed']))
        good += 1
    assert good >= spec['threshold'], role + ' below threshold'
    checked.append('%s:%d' % (role, good))
print(' '.join(checked))
`;

describe('TUF metadata interop', () => {
  it('every role verifies with Python cryptography over canonical JSON, key ids included', async (t) => {
    const s = await setup(t);
    const keys: Record<string, string> = {};
    for (const role of ['root', 'targets', 'snapshot', 'timestamp']) {
      keys[role] = await writePem(s.dir, `${role}.key`, ed25519Key().privatePem);
    }
    const online = [
      '--targets-key',
      keys['targets']!,
      '--snapshot-key',
      keys['snapshot']!,
      '--timestamp-key',
      keys['timestamp']!,
    ];
    const init = await runCli(['registry', 'init', s.registry, '--root-key', keys['root']!, ...online]);
    assert.equal(init.code, 0, init.stderr);
    const pub = await runCli([
      'publish',
      await s.bundle('1.0.0'),
      '--registry',
      s.registry,
      '--trusted-key',
      s.aliceKey,
      ...online,
    ]);
    assert.equal(pub.code, 0, pub.stderr);
    await copyFile(join(s.registry, 'metadata', 'root.json'), join(s.dir, 'root-copy.json'));
    const { stdout } = await run('python3', ['-c', VERIFY, join(s.registry, 'metadata')]);
    assert.equal(stdout.trim(), 'root:1 timestamp:1 snapshot:1 targets:1');
  });

  it('canonical JSON follows the specification: sorted keys, no whitespace, only " and \\ escaped', () => {
    assert.equal(
      canonicalize({ b: 1, a: [true, null, 'x'], c: { z: 'q"\\', y: 0 } }),
      '{"a":[true,null,"x"],"b":1,"c":{"y":0,"z":"q\\"\\\\"}}',
    );
    // OLPC canonical JSON leaves control characters and non-ASCII text unescaped.
    assert.equal(canonicalize({ k: 'é\n' }), '{"k":"é\n"}');
  });
});
