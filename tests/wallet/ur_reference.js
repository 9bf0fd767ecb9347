// The BC-UR reference for tests/wallet/test_psbt_ur.py: @ngraveio/bc-ur (npm), a JavaScript
// port of Blockchain Commons' C++ reference, used by Keystone-compatible wallets.
//   node ur_reference.js decode < parts      -> {"ok":..., "type":..., "cbor": hex}
//   node ur_reference.js encode HEX FRAG N   -> N parts of a crypto-psbt, one a line
const { URDecoder, UREncoder, UR } = require('@ngraveio/bc-ur');
const fs = require('fs');

const [op, ...rest] = process.argv.slice(2);
if (op === 'decode') {
  const parts = fs.readFileSync(0, 'utf8').split(/\s+/).filter(Boolean);
  const d = new URDecoder();
  for (const p of parts) {
    d.receivePart(p);
    if (d.isComplete()) break;
  }
  if (!d.isComplete() || !d.isSuccess()) {
    console.log(JSON.stringify({ ok: false, progress: d.estimatedPercentComplete() }));
  } else {
    const ur = d.resultUR();
    console.log(JSON.stringify({ ok: true, type: ur.type, cbor: ur.cbor.toString('hex') }));
  }
} else if (op === 'encode') {
  const [hex, frag, n] = rest;
  const psbt = Buffer.from(hex, 'hex');
  // CBOR byte string of the PSBT (crypto-psbt), written by hand: major type 2 + length.
  const len = psbt.length;
  const head = len < 24 ? Buffer.from([0x40 | len])
    : len < 256 ? Buffer.from([0x58, len])
    : Buffer.from([0x59, len >> 8, len & 0xff]);
  const enc = new UREncoder(new UR(Buffer.concat([head, psbt]), 'crypto-psbt'), Number(frag), 0);
  const out = [];
  for (let i = 0; i < Number(n); i++) out.push(enc.nextPart());
  console.log(out.join('\n'));
}
