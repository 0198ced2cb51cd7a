'use strict';
// Shared by every test file: the official Tencent Cloud Node.js SDK's TDMQ
// client pointed at a rewindmq server (tests/testing/node/rewindmq_server.js
// starts it), a small CMQ 2.0 client for the data plane that API 3.0 does
// not have (receive and delete stay on /v2/index.php), and error checks.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const PACKAGE_DIR = path.join(__dirname, '..');
if (!fs.existsSync(path.join(PACKAGE_DIR, 'node_modules', 'tencentcloud-sdk-nodejs'))) {
  throw new Error(
    `${path.join(PACKAGE_DIR, 'node_modules')} is missing: the TDMQ SDK tests ` +
    'need the official Tencent Cloud SDK. Install it with tests/tdmq_sdk/install.sh ' +
    '(tools/dev.sh and ctest run it).');
}

// The SDK sends every request through a proxy when http_proxy is set.
delete process.env.http_proxy;
delete process.env.HTTP_PROXY;

const { Server, sleep } = require('../../testing/node/rewindmq_server.js');
const TdmqClient =
  require('tencentcloud-sdk-nodejs/tencentcloud/services/tdmq').tdmq.v20200217.Client;

const SECRET_ID = 'AKIDEXAMPLE';
const SECRET_KEY = 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE';
const STRICT_ARGS = ['--cmq-credentials', `${SECRET_ID}:${SECRET_KEY}`];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// A TDMQ client as an application writes it, with the endpoint pointed at
// the server (host:port without scheme, plain HTTP).
function tdmqClient(server, { secretId = SECRET_ID, secretKey = SECRET_KEY,
  host = '127.0.0.1', profile = {} } = {}) {
  return new TdmqClient({
    credential: { secretId, secretKey },
    region: 'ap-guangzhou',
    profile: {
      ...profile,
      httpProfile: { endpoint: `${host}:${server.port}`, protocol: 'http://',
        ...(profile.httpProfile || {}) },
    },
  });
}

// Awaits `promise`, which must fail with the API 3.0 error `code`; returns
// the SDK's exception.
async function expectTcError(promise, code) {
  let error = null;
  try {
    const answer = await promise;
    assert.fail(`expected ${code}, got success ${JSON.stringify(answer)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    error = e;
  }
  assert.equal(error.code, code, `${error.code}: ${error.message}`);
  assert.match(error.requestId, UUID, 'RequestId is a UUID v4');
  return error;
}

// POST /v2/index.php with a CMQ 2.0 form, signed with HmacSHA256 when a
// key is given (cmq-v2.md §4.1); resolves to the parsed JSON answer.
function cmqV2(server, params, { secretId = SECRET_ID, secretKey = SECRET_KEY } = {}) {
  const all = {
    ...params,
    SecretId: secretId,
    Nonce: String(crypto.randomInt(1, 2 ** 31)),
    Timestamp: String(Math.floor(Date.now() / 1000)),
    SignatureMethod: 'HmacSHA256',
    RequestClient: 'rewindmq-tests',
  };
  const host = `127.0.0.1:${server.port}`;
  const sorted = Object.keys(all).sort().map((k) => `${k.replace(/_/g, '.')}=${all[k]}`);
  const toSign = `POST${host}/v2/index.php?${sorted.join('&')}`;
  all.Signature = crypto.createHmac('sha256', secretKey).update(toSign).digest('base64');
  const body = new URLSearchParams(all).toString();
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: server.port, path: '/v2/index.php', method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded',
        'Content-Length': Buffer.byteLength(body), Host: host },
      timeout: 30000,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch (e) {
          reject(new Error(`not JSON (${res.statusCode}): ${text}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

// Receives (no wait) and deletes every ACTIVE message of `queue` over 2.0;
// returns them in receive order. Bounded by `max`.
async function drainV2(server, queue, { max = 1000, keys } = {}) {
  const out = [];
  while (out.length < max) {
    const r = await cmqV2(server, { Action: 'ReceiveMessage', queueName: queue,
      pollingWaitSeconds: '0' }, keys);
    if (r.code === 7000) return out;
    assert.equal(r.code, 0, JSON.stringify(r));
    out.push(r);
    const d = await cmqV2(server, { Action: 'DeleteMessage', queueName: queue,
      receiptHandle: r.receiptHandle }, keys);
    assert.equal(d.code, 0, JSON.stringify(d));
  }
  throw new Error(`more than ${max} messages in ${queue}`);
}

module.exports = {
  SECRET_ID,
  SECRET_KEY,
  STRICT_ARGS,
  Server,
  UUID,
  cmqV2,
  drainV2,
  expectTcError,
  sleep,
  tdmqClient,
};
