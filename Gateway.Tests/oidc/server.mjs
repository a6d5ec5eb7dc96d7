// A real OpenID Connect provider (oidc-provider 9.x) playing "DataPass" (api.gouv.fr accounts) in the
// gateway's end-to-end tests. TEST-ONLY: development login form (any login, any password), open dynamic
// client registration, in-memory storage. Never run it anywhere but on a test machine's loopback.
//
//   PORT=12345 node server.mjs            (PORT is required)
//   CONSENT=screen PORT=12345 node ...    (optional: keep the dev consent screen instead of auto-consent)
//   STATE_DIR=/tmp/x PORT=12345 node ...  (optional: keeps the signing keys and the registered clients in
//                                          STATE_DIR, so that a restart on the same port serves the same
//                                          issuer, keys and clients; sessions, codes and tokens are lost)
//
// Issuer: http://127.0.0.1:$PORT. Prints "listening on http://127.0.0.1:$PORT" once it accepts requests.
//
// Accounts: the login typed in the dev form is the account id (the id_token's and userinfo's `sub`).
// Claims are derived from it (see accountClaims below), e.g. login "alice.martin+siret12345678901234@acme.fr":
//   email "alice.martin+siret12345678901234@acme.fr", name "Alice Martin",
//   organizations [{ id: 123456789, siret: "12345678901234", label: "Organisation 12345678901234" }]
// and login "alice.martin@acme.fr": organizations [{ id: 1, siret: "13002526500013", label: "DINUM" }].
//
// Consent is auto-granted (unless CONSENT=screen): loadExistingGrant grants every requested OpenID scope and
// claim, so after the login form the provider redirects straight back to the client (no consent screen).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

import Provider from 'oidc-provider';

if (typeof URL.parse !== 'function') {
  // oidc-provider 9 calls URL.parse (Node 20.18+, 22.1+).
  console.error(`Node ${process.version} is too old for oidc-provider 9: Node 20.18 or later is needed`);
  process.exit(3);
}

const port = Number.parseInt(process.env.PORT ?? '', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('PORT (1-65535) is required, e.g. PORT=4000 node server.mjs');
  process.exit(2);
}

const issuer = `http://127.0.0.1:${port}`;
const stateDir = process.env.STATE_DIR || null;
const autoConsent = process.env.CONSENT !== 'screen';
const jwksFile = stateDir && path.join(stateDir, 'jwks.json');
const clientsFile = stateDir && path.join(stateDir, 'clients.json');

const DEFAULT_ORGANIZATION = { id: 1, siret: '13002526500013', label: 'DINUM' };

function readJson(file, fallback) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    if (e.code === 'ENOENT') {
      return fallback;
    }
    throw e;
  }
}

function writeJson(file, value) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2));
  fs.renameSync(tmp, file);
}

// Signing keys: a fresh RS256 key per start, or the one kept in STATE_DIR.
function signingKeys() {
  if (jwksFile) {
    const kept = readJson(jwksFile, null);
    if (kept?.keys?.length) {
      return kept;
    }
  }
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const jwks = { keys: [{ ...jwk, kid: crypto.randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' }] };
  if (jwksFile) {
    fs.mkdirSync(stateDir, { recursive: true });
    writeJson(jwksFile, jwks);
  }
  return jwks;
}

// "alice.martin+tag@acme.fr" -> "Alice Martin"; "élodie@acme.fr" -> "Élodie"; "jean-pierre_dupont" -> "Jean-Pierre Dupont".
function readableName(login) {
  const local = login.split('@')[0].replace(/\+.*$/u, '');
  const capitalize = (part) => (part ? part[0].toLocaleUpperCase('fr') + part.slice(1) : part);
  const words = local
    .split(/[._\s]+/u)
    .filter(Boolean)
    .map((word) => word.split('-').map(capitalize).join('-'));
  return words.length ? words.join(' ') : login;
}

// Every claim of an account, all derived from the login typed in the dev form. Two markers make the
// account misbehave the way hostile or careless providers do (the sub stays the whole login):
//   "mallory~alice@acme.fr"       another account (sub) asserting alice's e-mail
//   "alice@acme.fr!unverified"    email_verified: false
export function accountClaims(login) {
  const unverified = login.endsWith('!unverified');
  const address = (unverified ? login.slice(0, -'!unverified'.length) : login).replace(/^[^~]*~/u, '');
  const email = address.includes('@') ? address : `${address}@example.org`;
  const name = readableName(address);
  const [givenName, ...rest] = name.split(' ');
  const siret = /\+siret(\d{14})(?!\d)/u.exec(login)?.[1];
  const organization = siret
    ? { id: Number.parseInt(siret.slice(0, 9), 10), siret, label: `Organisation ${siret}` }
    : DEFAULT_ORGANIZATION;
  return {
    sub: login,
    email,
    email_verified: !unverified,
    name,
    given_name: givenName,
    family_name: rest.join(' ') || undefined,
    organizations: [organization],
  };
}

const keptClients = clientsFile ? readJson(clientsFile, []) : [];

const configuration = {
  // Clients registered before a restart (STATE_DIR); new ones come through dynamic registration.
  clients: keptClients,
  clientDefaults: {
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  },
  jwks: signingKeys(),
  cookies: {
    keys: ['tribuo-test-oidc-cookie-key-1', 'tribuo-test-oidc-cookie-key-2'],
  },
  scopes: ['openid', 'email', 'profile', 'organizations'],
  claims: {
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    organizations: ['organizations'],
  },
  features: {
    // The development login form: any login, any password. TEST-ONLY.
    devInteractions: { enabled: true },
    // Open dynamic client registration (no initial access token). TEST-ONLY.
    registration: { enabled: true, initialAccessToken: false },
    claimsParameter: { enabled: false },
    introspection: { enabled: false },
    revocation: { enabled: false },
    // RP-initiated logout stays at its default (enabled), harmless here.
  },
  pkce: {
    required: () => true,
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
  async findAccount(ctx, id) {
    const claims = accountClaims(id);
    return {
      accountId: id,
      // oidc-provider filters these by the granted scopes/claims and by where they go (id_token, userinfo).
      async claims() {
        return claims;
      },
    };
  },
  // Auto-consent: grant every OpenID scope and claim the client asks for, so the dev interactions never
  // show a consent screen (only the login form).
  async loadExistingGrant(ctx) {
    const { oidc } = ctx;
    const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
    let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    if (!autoConsent) {
      return grant; // oidc-provider's default: the consent screen asks for whatever is missing
    }
    if (!grant) {
      grant = new oidc.provider.Grant({ accountId: oidc.session.accountId, clientId: oidc.client.clientId });
    }
    const scopes = [...oidc.requestParamOIDCScopes];
    if (scopes.length) {
      grant.addOIDCScope(scopes.join(' '));
    }
    const claims = [...oidc.requestParamClaims];
    if (claims.length) {
      grant.addOIDCClaims(claims);
    }
    await grant.save();
    return grant;
  },
  async renderError(ctx, out, error) {
    ctx.type = 'html';
    const escape = (s) => String(s).replace(/[&<>"']/gu, (c) => `&#${c.charCodeAt(0)};`);
    ctx.body = `<!DOCTYPE html><html><head><title>oidc-provider error</title></head><body><h1>oops! something went wrong</h1>${
      Object.entries(out).map(([k, v]) => `<pre><strong>${escape(k)}</strong>: ${escape(v)}</pre>`).join('')
    }</body></html>`;
    if (error && !(error.expose ?? error.statusCode < 500)) {
      console.error('error:', error);
    }
  },
};

const provider = new Provider(issuer, configuration);

if (clientsFile) {
  provider.on('registration_create.success', (_ctx, client) => {
    const all = readJson(clientsFile, []).filter((c) => c.client_id !== client.clientId);
    all.push(client.metadata());
    writeJson(clientsFile, all);
  });
}

for (const event of ['server_error', 'authorization.error', 'grant.error', 'registration_create.error', 'userinfo.error']) {
  provider.on(event, (_ctx, error) => {
    console.error(`${event}: ${error?.name ?? ''} ${error?.message ?? error}${error?.error_description ? ` (${error.error_description})` : ''}`);
  });
}

const server = http.createServer(provider.callback());
server.keepAliveTimeout = 5000;

server.on('error', (e) => {
  console.error(`cannot listen on 127.0.0.1:${port}: ${e.code === 'EADDRINUSE' ? 'address in use' : e.message}`);
  process.exit(1);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`listening on ${issuer}`);
});

let stopping = false;
function stop(signal) {
  if (stopping) {
    return;
  }
  stopping = true;
  console.log(`${signal}: stopping`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
