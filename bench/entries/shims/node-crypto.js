// The two Node `crypto` calls @ringcentral/sdk makes for PKCE (`randomBytes(32).toString('base64')` and
// `createHash('sha256').update(s).digest().toString('base64')`), for the browser: the smallest stand-in that
// keeps RC's documented PKCE login working. (RC's own browser build ships crypto-browserify instead.)
class Bytes {
  constructor(u8) { this.u8 = u8; }
  toString(encoding) {
    if (encoding !== 'base64') throw new Error(`crypto shim: unsupported encoding ${encoding}`);
    let s = '';
    for (const b of this.u8) s += String.fromCharCode(b);
    return btoa(s);
  }
}

export function randomBytes(n) {
  return new Bytes(globalThis.crypto.getRandomValues(new Uint8Array(n)));
}

const frac = (x) => ((x - Math.floor(x)) * 2 ** 32) >>> 0;
const primes = [];
for (let n = 2; primes.length < 64; n++) if (primes.every((p) => n % p)) primes.push(n);
const K = primes.map((p) => frac(Math.cbrt(p)));
const H0 = primes.slice(0, 8).map((p) => frac(Math.sqrt(p)));
const rotr = (x, n) => (x >>> n) | (x << (32 - n));

function sha256(bytes) {
  const len = bytes.length;
  const m = new Uint8Array((len + 72) & ~63);
  m.set(bytes);
  m[len] = 0x80;
  const dv = new DataView(m.buffer);
  dv.setUint32(m.length - 8, Math.floor(len / 2 ** 29));
  dv.setUint32(m.length - 4, (len << 3) >>> 0);
  const h = H0.slice();
  const w = new Uint32Array(64);
  for (let o = 0; o < m.length; o += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getUint32(o + 4 * i);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15], b = w[i - 2];
      w[i] = w[i - 16] + (rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3)) + w[i - 7] + (rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10));
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    [a, b, c, d, e, f, g, hh].forEach((v, i) => { h[i] = (h[i] + v) >>> 0; });
  }
  const out = new Uint8Array(32);
  const odv = new DataView(out.buffer);
  h.forEach((v, i) => odv.setUint32(4 * i, v));
  return out;
}

export function createHash(algorithm) {
  if (algorithm !== 'sha256') throw new Error(`crypto shim: unsupported hash ${algorithm}`);
  const parts = [];
  return {
    update(data) { parts.push(typeof data === 'string' ? new TextEncoder().encode(data) : data); return this; },
    digest() {
      const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) { all.set(p, at); at += p.length; }
      return new Bytes(sha256(all));
    },
  };
}
