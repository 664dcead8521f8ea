// A real OpenID Connect provider (the npm `oidc-provider` package, test-only) on loopback for the
// single sign-on tests. One JSON argument configures it:
//   {"port": 43123, "clients": [{"client_id", "client_secret", "redirect_uris",
//     "post_logout_redirect_uris", "amr": ["pwd", "mfa"] | null, "acr": "..." | null,
//     "tamper": null | "payload" | "foreign-key"}],
//    "unverified": ["e-mail whose email_verified is false", ...]}
// Every account is an e-mail address typed on the provider's own sign-in page (synthetic test
// data); what a client's sign-in asserts as `amr`/`acr` is that client's setting, so one issuer
// serves an organisation that asserts a second factor and one that does not. A client with
// `tamper` has its ID token altered on the way out of the token endpoint: "payload" changes the
// e-mail claim and keeps the signature, "foreign-key" signs the token with a key that is not in
// the provider's JWKS (same kid). Prints "ready <issuer>" once it listens.
import http from 'node:http';
import { randomUUID } from 'node:crypto';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${config.port}`;
const byClient = Object.fromEntries(config.clients.map((client) => [client.client_id, client]));
const unverified = new Set(config.unverified || []);

const kid = randomUUID();
const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
const foreign = await jose.generateKeyPair('RS256', { extractable: true });

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(issuer, {
  clients: config.clients.map((client) => ({
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: client.redirect_uris,
    post_logout_redirect_uris: client.post_logout_redirect_uris || [],
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code'],
    response_types: ['code'],
  })),
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomUUID()] },
  claims: {
    openid: ['sub', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'], sid: null,
  },
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: !unverified.has(id) };
      },
    };
  },
  // First-party clients: the grant is given without a consent page.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email');
    grant.addOIDCClaims(['email', 'email_verified', 'amr', 'acr']);
    await grant.save();
    ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId, grant.jti);
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { Session: 600, Interaction: 600, Grant: 600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
});
provider.proxy = false;

// The token endpoint's answer, altered for a tampering client.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || ctx.status !== 200 || !ctx.body?.id_token) return;
  const client = byClient[ctx.oidc?.client?.clientId];
  if (!client?.tamper) return;
  const [header, payload, signature] = ctx.body.id_token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  if (client.tamper === 'payload') {
    claims.email = client.tamper_email || claims.email;
    claims.amr = ['pwd', 'mfa'];
    ctx.body = { ...ctx.body, id_token: `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}` };
  } else if (client.tamper === 'foreign-key') {
    const token = await new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .sign(foreign.privateKey);
    ctx.body = { ...ctx.body, id_token: token };
  }
});

// The provider's own sign-in page: an e-mail address, no password (test accounts only).
async function interaction(req, res) {
  const url = new URL(req.url, issuer);
  const [, , uid, action] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'GET') {
    const client = details.params.client_id;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>Test provider</title></head>
<body><main><h1>Test provider: sign in for ${escape(client)}</h1>
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">E-mail</label><input id="login" name="login" type="email" required autofocus>
<button type="submit" id="provider-submit">Sign in</button></form></main></body></html>`);
    return;
  }
  if (req.method === 'POST' && action === 'login') {
    const body = await new Promise((resolve) => {
      let data = '';
      req.on('data', (chunk) => { data += chunk; });
      req.on('end', () => resolve(new URLSearchParams(data)));
    });
    const client = byClient[details.params.client_id] || {};
    const login = { accountId: body.get('login') };
    if (client.amr) login.amr = client.amr;
    if (client.acr) login.acr = client.acr;
    await provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
    return;
  }
  res.writeHead(405).end();
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((error) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`interaction failed: ${error.message}`);
    });
    return;
  }
  callback(req, res);
});
server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
