// NATS JWTs and .creds files for tests of operator (decentralized) auth, written the way nsc
// writes them, so a test needs no nsc binary.
//
// The format (NATS JWT v2): base64url(header) "." base64url(claims) "." base64url(signature),
// unpadded. The header is {"typ":"JWT","alg":"ed25519-nkey"}; the signature is the issuer's
// ed25519 nkey signature over the ASCII "header.claims". Claims: jti (an id), iat (seconds),
// iss (the signer's public key), sub (the subject's public key), name, and `nats` with the
// type ('operator' | 'account' | 'user'), version 2 and the type's limits. The operator signs
// itself, the operator signs accounts, an account signs its users.
import { randomBytes } from 'node:crypto';

import { createAccount, createOperator, createUser, type KeyPair } from 'nkeys.js';

/** No limit, in a NATS JWT's limits. */
const NO_LIMIT = -1;

function base64url(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString('base64url');
}

/** A JWT of `type` for `subject`, signed by `issuer`. */
export function signJwt(
  issuer: KeyPair,
  subject: string,
  type: 'operator' | 'account' | 'user',
  name: string,
  claims: Record<string, unknown> = {},
): string {
  const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }));
  const payload = base64url(
    JSON.stringify({
      // The server does not check that jti is the claims' hash (nsc's way); unique is enough.
      jti: randomBytes(20).toString('hex').toUpperCase(),
      iat: Math.floor(Date.now() / 1000),
      iss: issuer.getPublicKey(),
      sub: subject,
      name,
      nats: { ...claims, type, version: 2 },
    }),
  );
  const signature = issuer.sign(new TextEncoder().encode(`${header}.${payload}`));
  return `${header}.${payload}.${base64url(signature)}`;
}

/** An operator: its key pair and self-signed JWT (the server's `operator:`). */
export function operator(name = 'test-operator') {
  const kp = createOperator();
  return { kp, jwt: signJwt(kp, kp.getPublicKey(), 'operator', name) };
}

/**
 * An account the operator signed, with no limits and, unless `jetstream` is false (the system
 * account, which may not have it), JetStream without limits.
 */
export function account(signer: KeyPair, name = 'test-account', { jetstream = true } = {}) {
  const kp = createAccount();
  const jetstreamLimits = {
    // An account without storage limits has no JetStream at all.
    mem_storage: NO_LIMIT,
    disk_storage: NO_LIMIT,
    streams: NO_LIMIT,
    consumer: NO_LIMIT,
  };
  const limits = {
    ...(jetstream ? jetstreamLimits : {}),
    subs: NO_LIMIT,
    data: NO_LIMIT,
    payload: NO_LIMIT,
    imports: NO_LIMIT,
    exports: NO_LIMIT,
    wildcards: true,
    conn: NO_LIMIT,
    leaf: NO_LIMIT,
  };
  return { kp, jwt: signJwt(signer, kp.getPublicKey(), 'account', name, { limits }) };
}

/** A user the account signed, allowed everything, as a .creds file's text. */
export function userCreds(
  signer: KeyPair,
  name = 'test-user',
): {
  creds: string;
  jwt: string;
  seed: string;
} {
  const kp = createUser();
  const jwt = signJwt(signer, kp.getPublicKey(), 'user', name, {
    pub: {},
    sub: {},
    subs: NO_LIMIT,
    data: NO_LIMIT,
    payload: NO_LIMIT,
  });
  const seed = new TextDecoder().decode(kp.getSeed());
  return { creds: credsText(jwt, seed), jwt, seed };
}

/** The text of a .creds file as nsc writes it: the JWT block, then the seed block. */
export function credsText(jwt: string, seed: string): string {
  return `-----BEGIN NATS USER JWT-----
${jwt}
------END NATS USER JWT------

************************* IMPORTANT *************************
NKEY Seed printed below can be used to sign and prove identity.
NKEYs are sensitive and should be treated as secrets.

-----BEGIN USER NKEY SEED-----
${seed}
------END USER NKEY SEED------

*************************************************************
`;
}
