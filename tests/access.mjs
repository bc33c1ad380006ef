// Cloudflare Access as the tests meet it: a stand-in for the team's JWKS
// (`/cdn-cgi/access/certs`, served on a free port; the worker is pointed
// at it with BUOY_ACCESS_CERTS_URL) and tokens signed here with
// node:crypto, as Access signs them. tests/buoy.toml's [access] names the
// team domain, the AUD tag and the first admin below.
import { createServer } from 'node:http';
import { createHmac, createSign, generateKeyPairSync } from 'node:crypto';

export const TEAM = 'https://buoy-test.cloudflareaccess.com';
export const AUD = 'buoy-test-aud-4714c1358e65fe4b408ad6d432a5f878';
export const ADMIN = 'admin@access.example';

const b64 = (data) => Buffer.from(data).toString('base64url');

/**
 * A started stand-in JWKS that publishes `published` (key ids, of keys it
 * makes itself; push to it to rotate). `fetches` holds when it was asked;
 * `url` is what BUOY_ACCESS_CERTS_URL takes; `token()` signs as Access.
 */
export async function startJwks(published = ['k1']) {
  const keys = {};
  const key = (kid) => {
    keys[kid] ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
    return keys[kid];
  };
  for (const kid of published) key(kid);
  const fetches = [];
  const server = createServer((request, response) => {
    if (request.url !== '/cdn-cgi/access/certs') {
      response.writeHead(404);
      return response.end();
    }
    fetches.push(Date.now());
    const jwks = published.map((kid) => ({ kid, alg: 'RS256', use: 'sig', ...key(kid).publicKey.export({ format: 'jwk' }) }));
    response.writeHead(200, { 'content-type': 'application/json' });
    return response.end(JSON.stringify({ keys: jwks, public_cert: { kid: published[0], cert: '' }, public_certs: [] }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

  /** A token as Access signs it (RS256 with `kid`, as ADMIN), or as told otherwise. */
  function token(claims = {}, { kid = published[0], alg = 'RS256', signer = kid, hmacSecret } = {}) {
    const now = Math.floor(Date.now() / 1000);
    const body = { aud: [AUD], iss: TEAM, iat: now, nbf: now, exp: now + 600, email: ADMIN, type: 'app', sub: 'user-1', ...claims };
    const head = b64(JSON.stringify({ alg, kid, typ: 'JWT' }));
    const signed = `${head}.${b64(JSON.stringify(body))}`;
    if (alg === 'none') return `${signed}.`;
    if (alg === 'HS256') return `${signed}.${createHmac('sha256', hmacSecret).update(signed).digest('base64url')}`;
    const sign = createSign('RSA-SHA256');
    sign.update(signed);
    return `${signed}.${sign.sign(key(signer).privateKey).toString('base64url')}`;
  }

  return {
    url: `http://127.0.0.1:${server.address().port}/cdn-cgi/access/certs`,
    published,
    fetches,
    token,
    /** The public key of `kid`, as PEM (for the HS256-with-public-key attack). */
    pem: (kid = published[0]) => key(kid).publicKey.export({ format: 'pem', type: 'spki' }),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
