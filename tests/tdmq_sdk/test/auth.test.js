'use strict';
// TC3-HMAC-SHA256 in strict mode with the official Node.js SDK
// (tdmq-cmq-v3.md §4, §13.3): the endpoint shapes the SDK signs with
// (service "127" and the host without its port; "localhost:<port>"), a
// request signed as Go's SDK does (service "tdmq", host with port), and
// every refusal, each as HTTP 200 with a UUID RequestId and the trace id
// echoed. Open mode checks nothing.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const { after, before, describe, test } = require('node:test');
const { SECRET_ID, SECRET_KEY, STRICT_ARGS, Server, UUID, cmqV2, expectTcError, tdmqClient } =
  require('../lib/harness.js');

const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');
const hmac = (k, s) => crypto.createHmac('sha256', k).update(s).digest();

// A raw API 3.0 POST signed as the Go SDK signs (service tdmq, host with
// port), with knobs to break it. Resolves to {status, body}.
function rawV3(server, action, payload, { timestamp = Math.floor(Date.now() / 1000),
  secretKey = SECRET_KEY, secretId = SECRET_ID, authorization, alterBody } = {}) {
  const body = JSON.stringify(payload);
  const host = `127.0.0.1:${server.port}`;
  const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
  const canonical = ['POST', '/', '', `content-type:application/json\nhost:${host}\n`,
    'content-type;host', sha256(body)].join('\n');
  const scope = `${date}/tdmq/tc3_request`;
  const toSign = ['TC3-HMAC-SHA256', String(timestamp), scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(`TC3${secretKey}`, date), 'tdmq'), 'tc3_request');
  const signature = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  const headers = {
    'Content-Type': 'application/json', Host: host, 'X-TC-Action': action,
    'X-TC-Version': '2020-02-17', 'X-TC-Timestamp': String(timestamp),
    'X-TC-TraceId': 'raw-trace-1',
  };
  if (authorization !== null) {
    headers.Authorization = authorization ||
      `TC3-HMAC-SHA256 Credential=${secretId}/${scope}, SignedHeaders=content-type;host, ` +
      `Signature=${signature}`;
  }
  const sent = alterBody ? alterBody(body) : body;
  headers['Content-Length'] = Buffer.byteLength(sent);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: '/', method: 'POST',
      headers, timeout: 30000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: JSON.parse(text) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(sent);
  });
}

function assertRawError(answer, code) {
  assert.equal(answer.status, 200);
  assert.equal(answer.headers['x-tc-traceid'], 'raw-trace-1');
  assert.match(answer.body.Response.RequestId, UUID);
  assert.equal(answer.body.Response.Error && answer.body.Response.Error.Code, code,
    JSON.stringify(answer.body));
}

describe('strict mode', () => {
  let server;
  before(async () => { server = await Server.start(STRICT_ARGS); });
  after(async () => { await server.stop(); });

  test('the SDK signs with 127.0.0.1:<port> and localhost:<port>', async () => {
    await tdmqClient(server).CreateCmqQueue({ QueueName: 'signed' });
    const viaLocalhost = tdmqClient(server, { host: 'localhost' });
    const list = await viaLocalhost.DescribeCmqQueues({});
    assert.equal(list.TotalCount, 1);
  });

  test('a request signed as the Go SDK signs passes', async () => {
    const answer = await rawV3(server, 'DescribeCmqQueues', {});
    assert.equal(answer.status, 200);
    assert.equal(answer.body.Response.Error, undefined, JSON.stringify(answer.body));
    assert.equal(typeof answer.body.Response.TotalCount, 'number');
  });

  test('a wrong key, an unknown SecretId and a missing signature are refused', async () => {
    const wrongKey = tdmqClient(server, { secretKey: 'not-the-key' });
    const e = await expectTcError(wrongKey.DescribeCmqQueues({}),
      'AuthFailure.SignatureFailure');
    assert.match(e.traceId, UUID, 'the SDK reads the echoed X-TC-TraceId');
    await expectTcError(tdmqClient(server, { secretId: 'AKIDunknown' }).DescribeCmqQueues({}),
      'AuthFailure.SecretIdNotFound');
    assertRawError(await rawV3(server, 'DescribeCmqQueues', {}, { authorization: null }),
      'AuthFailure.InvalidAuthorization');
    assertRawError(await rawV3(server, 'DescribeCmqQueues', {},
      { authorization: 'TC3-HMAC-SHA256 nonsense' }), 'AuthFailure.InvalidAuthorization');
  });

  test('timestamps more than 300 s away expire', async () => {
    const now = Math.floor(Date.now() / 1000);
    assertRawError(await rawV3(server, 'DescribeCmqQueues', {}, { timestamp: now - 301 }),
      'AuthFailure.SignatureExpire');
    assertRawError(await rawV3(server, 'DescribeCmqQueues', {}, { timestamp: now + 301 }),
      'AuthFailure.SignatureExpire');
  });

  test('a body altered after signing is refused', async () => {
    assertRawError(await rawV3(server, 'CreateCmqQueue', { QueueName: 'abc' },
      { alterBody: (b) => b.replace('abc', 'abd') }), 'AuthFailure.SignatureFailure');
  });

  test('one key pair signs both the 2.0 and the 3.0 face', async () => {
    const client = tdmqClient(server);
    await client.CreateCmqQueue({ QueueName: 'both_faces' });
    const sent = await cmqV2(server, { Action: 'SendMessage', queueName: 'both_faces',
      msgBody: 'hi' });
    assert.equal(sent.code, 0, JSON.stringify(sent));
    const bad = await cmqV2(server, { Action: 'SendMessage', queueName: 'both_faces',
      msgBody: 'hi' }, { secretKey: 'wrong' });
    assert.equal(bad.code, 4100, JSON.stringify(bad));
    const q = (await client.DescribeCmqQueueDetail({ QueueName: 'both_faces' })).QueueDescribe;
    assert.equal(q.ActiveMsgNum, 1);
  });
});

describe('open mode', () => {
  let server;
  before(async () => { server = await Server.start(); });
  after(async () => { await server.stop(); });

  test('any key, no signature and an old timestamp all pass', async () => {
    await tdmqClient(server, { secretKey: 'anything' }).CreateCmqQueue({ QueueName: 'open' });
    const answer = await rawV3(server, 'DescribeCmqQueues', {},
      { authorization: null, timestamp: 1 });
    assert.equal(answer.body.Response.TotalCount, 1, JSON.stringify(answer.body));
  });
});
