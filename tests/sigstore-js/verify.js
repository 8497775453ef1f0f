// Verifies one Sigstore bundle with sigstore-js's stock Verifier and its default options:
//   node verify.js TRUSTED_ROOT BUNDLE [KEY_PEM]
// KEY_PEM is the signer's public key, trusted under the hint the bundle names (key mode).
// Prints "verified" and exits 0, or prints "refused CODE: message" and exits 1.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

const [rootPath, bundlePath, keyPath] = process.argv.slice(2);
try {
  const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8')));
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const keys = {};
  if (keyPath) {
    const der = crypto.createPublicKey(fs.readFileSync(keyPath, 'utf8')).export({ type: 'spki', format: 'der' });
    const hint = bundle.verificationMaterial.content.$case === 'publicKey' ? bundle.verificationMaterial.content.publicKey.hint : '';
    keys[hint] = { rawBytes: der };
  }
  new Verifier(toTrustMaterial(root, keys)).verify(toSignedEntity(bundle));
  console.log('verified');
} catch (e) {
  console.log(`refused ${e.code || e.name}: ${e.message}`);
  process.exit(1);
}
