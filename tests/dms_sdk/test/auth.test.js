'use strict';
// SDK-HMAC-SHA256 (spec §10) against a server started with
// --dms-credentials: the SDK's signatures are accepted on every kind of
// request, and wrong keys, unknown keys, missing and stale signatures are
// refused with 401 APIGW.0301.

const assert = require('node:assert/strict');
const http = require('node:http');
const querystring = require('node:querystring');
const { describe, it, before, after } = require('node:test');
const {
  INSTANCE_ID, PROJECT_ID, Server, expectSdkError, makeClient, rocketmq: r,
} = require('../lib/harness');
const { AKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner');

const AK = 'REWINDMQTESTAK000001';
const SK = 'rewindmq-test-secret-key-0000000000000001';
const AK2 = 'REWINDMQTESTAK000002';
const SK2 = 'rewindmq-test-secret-key-0000000000000002';
const AUTH_FAILED = { status: 401, code: 'APIGW.0301' };

// A request signed by the SDK's own signer, with a chosen X-Sdk-Date (or
// none, or no Authorization at all), sent with node's http client.
function rawRequest(port, { method = 'GET', path, query, body, ak = AK, sk = SK, date,
  sign = true, sendBody = body }) {
  const headers = { 'content-type': 'application/json', 'X-Project-Id': PROJECT_ID };
  // YYYYMMDD'T'HHmmss'Z', the SDK's own format.
  if (date) headers['X-Sdk-Date'] = date.toISOString().replace(/[-:]|\.\d+/g, '');
  const qs = query ? querystring.stringify(query) : '';
  let sent = { ...headers, host: `127.0.0.1:${port}` };
  if (sign) {
    sent = AKSKSigner.sign({ endpoint: `http://127.0.0.1:${port}${path}`, method, headers,
      queryParams: query || {}, data: body }, { getAk: () => ak, getSk: () => sk });
  }
  const payload = sendBody === undefined ? undefined : JSON.stringify(sendBody);
  if (payload !== undefined) sent['content-length'] = Buffer.byteLength(payload);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: qs ? `${path}?${qs}` : path,
      headers: sent, timeout: 10000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        json: text ? JSON.parse(text) : null }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

describe('AK/SK signatures (server with --dms-credentials)', { timeout: 60000 }, () => {
  let server;
  let client;
  const instancePath = `/v2/${PROJECT_ID}/instances/${INSTANCE_ID}`;

  before(async () => {
    server = await Server.start(['--dms-credentials', `${AK}:${SK},${AK2}:${SK2}`]);
    client = makeClient(server.endpoint, { ak: AK, sk: SK });
  });

  after(async () => {
    if (server) await server.stop();
  });

  it('accepts the SDK signature on GET, POST, PUT and DELETE with queries and bodies',
    async () => {
      assert.equal((await client.showInstance(new r.ShowInstanceRequest(INSTANCE_ID)))
        .instance_id, INSTANCE_ID);
      assert.equal((await client.listInstances(new r.ListInstancesRequest('rocketmq')
        .withName('rewindmq').withLimit(5).withOffset(0))).instance_num, 1);
      // Names with '|' and '%' travel raw in the path (spec §1.1, §10.3).
      for (const topic of ['signed_topic', 'pipe|topic', 'pct%41topic']) {
        const created = await client.createTopicOrBatchDeleteTopic(
          new r.CreateTopicOrBatchDeleteTopicRequest(INSTANCE_ID).withBody(
            new r.CreateTopicOrBatchDeleteTopicReq().withName(topic).withQueueNum(2)));
        assert.equal(created.id, topic);
        assert.equal((await client.showOneTopic(new r.ShowOneTopicRequest(INSTANCE_ID, topic)))
          .name, topic);
        assert.equal((await client.updateTopic(new r.UpdateTopicRequest(INSTANCE_ID, topic)
          .withBody(new r.UpdateTopicReq().withTopicDesc('signé ✓')))).httpStatusCode, 204);
      }
      await client.createConsumerGroupOrBatchDeleteConsumerGroup(
        new r.CreateConsumerGroupOrBatchDeleteConsumerGroupRequest(INSTANCE_ID).withBody(
          new r.CreateConsumerGroupOrBatchDeleteConsumerGroupReq().withName('signed|group')
            .withGroupDesc('grüße, 组')));
      const key = 'key+with/reserved=chars&more~ü';
      const sent = await client.sendMessage(new r.SendMessageRequest('reliability', INSTANCE_ID)
        .withBody(new r.SendMessageReq('pipe|topic', 'body with ünïcode ✓ and "quotes"')
          .withPropertyList([new r.SendMessageProperties().withName('KEYS').withValue(key)])));
      const found = await client.listMessagesForRocketMq(new r.ListMessagesForRocketMqRequest(
        INSTANCE_ID, 'pipe|topic').withKey(key).withStartTime('0')
        .withEndTime(String(Date.now() + 1000)).withLimit(10).withOffset(0));
      assert.deepEqual(found.messages.map((m) => m.msg_id), [sent.msg_id]);
      const reset = await client.resetConsumeOffset(new r.ResetConsumeOffsetRequest('reliability',
        INSTANCE_ID, 'signed|group').withBody(new r.ResetConsumeOffsetReq('pipe|topic', 0)));
      assert.equal(reset.queues.length, 2);
      const details = await client.showConsumerListOrDetails(
        new r.ShowConsumerListOrDetailsRequest(INSTANCE_ID, 'signed|group').withTopic('pipe|topic'));
      assert.equal(details.lag, 1);
      assert.equal((await client.deleteConsumerGroup(new r.DeleteConsumerGroupRequest(
        INSTANCE_ID, 'signed|group'))).httpStatusCode, 204);
      assert.equal((await client.deleteTopic(new r.DeleteTopicRequest(INSTANCE_ID,
        'pct%41topic'))).httpStatusCode, 204);
    });

  it('accepts every configured key pair', async () => {
    const second = makeClient(server.endpoint, { ak: AK2, sk: SK2 });
    const topics = await second.listRocketInstanceTopics(
      new r.ListRocketInstanceTopicsRequest(INSTANCE_ID));
    assert.ok(topics.topics.some((t) => t.name === 'signed_topic'));
  });

  it('refuses a wrong SK with 401 APIGW.0301 and changes nothing', async () => {
    const wrong = makeClient(server.endpoint, { ak: AK, sk: `${SK}x` });
    const e = await expectSdkError(wrong.showInstance(new r.ShowInstanceRequest(INSTANCE_ID)),
      { ...AUTH_FAILED, msg: /^Incorrect IAM authentication information: verify aksk signature fail/ });
    assert.equal(e.name, 'ClientRequestException');
    await expectSdkError(wrong.createTopicOrBatchDeleteTopic(
      new r.CreateTopicOrBatchDeleteTopicRequest(INSTANCE_ID).withBody(
        new r.CreateTopicOrBatchDeleteTopicReq().withName('not_created'))), AUTH_FAILED);
    await expectSdkError(wrong.deleteTopic(new r.DeleteTopicRequest(INSTANCE_ID,
      'signed_topic')), AUTH_FAILED);
    // Another pair's SK does not go with this AK either.
    const crossed = makeClient(server.endpoint, { ak: AK, sk: SK2 });
    await expectSdkError(crossed.listRocketInstanceTopics(
      new r.ListRocketInstanceTopicsRequest(INSTANCE_ID)), AUTH_FAILED);
    const names = (await client.listRocketInstanceTopics(
      new r.ListRocketInstanceTopicsRequest(INSTANCE_ID))).topics.map((t) => t.name);
    assert.ok(names.includes('signed_topic'));
    assert.ok(!names.includes('not_created'));
  });

  it('refuses an unknown AK', async () => {
    const unknown = makeClient(server.endpoint, { ak: 'UNKNOWNAK', sk: SK });
    await expectSdkError(unknown.showInstance(new r.ShowInstanceRequest(INSTANCE_ID)),
      { ...AUTH_FAILED, msg: /ak UNKNOWNAK not exist/ });
  });

  it('authenticates before routing: a signed request without project id is a 400', async () => {
    const noProject = makeClient(server.endpoint, { ak: AK, sk: SK, projectId: null });
    await expectSdkError(noProject.showInstance(new r.ShowInstanceRequest(INSTANCE_ID)),
      { status: 400, code: 'DMS.00400002' });
    const noProjectWrongKey = makeClient(server.endpoint, { ak: AK, sk: 'bad', projectId: null });
    await expectSdkError(noProjectWrongKey.showInstance(new r.ShowInstanceRequest(INSTANCE_ID)),
      AUTH_FAILED);
  });

  it('refuses unsigned requests and stale dates; the error body names the request id',
    async () => {
      const unsigned = await rawRequest(server.port, { path: instancePath, sign: false });
      assert.equal(unsigned.status, 401);
      assert.equal(unsigned.json.error_code, 'APIGW.0301');
      assert.match(unsigned.json.error_msg, /Authorization header missing or malformed/);
      assert.match(unsigned.json.request_id, /^[0-9a-f]{32}$/);
      assert.equal(unsigned.json.request_id, unsigned.headers['x-request-id']);

      const now = Date.now();
      const fresh = await rawRequest(server.port, { path: instancePath,
        date: new Date(now - 10 * 60000) });
      assert.equal(fresh.status, 200, JSON.stringify(fresh.json));
      const query = { limit: '5', offset: '0' };
      const withQuery = await rawRequest(server.port, { path: `${instancePath}/topics`, query,
        date: new Date(now + 5 * 60000) });
      assert.equal(withQuery.status, 200, JSON.stringify(withQuery.json));
      for (const skewMin of [-20, 20]) {
        const stale = await rawRequest(server.port, { path: instancePath,
          date: new Date(now + skewMin * 60000) });
        assert.equal(stale.status, 401, `X-Sdk-Date ${skewMin} min off`);
        assert.equal(stale.json.error_code, 'APIGW.0301');
        assert.match(stale.json.error_msg, /signature expired/);
      }
      // The body is part of the signature.
      const path = `/v2/reliability/${PROJECT_ID}/instances/${INSTANCE_ID}/messages`;
      const body = { topic: 'signed_topic', body: 'signed' };
      const good = await rawRequest(server.port, { method: 'POST', path, body });
      assert.equal(good.status, 200, JSON.stringify(good.json));
      const tampered = await rawRequest(server.port, { method: 'POST', path, body,
        sendBody: { ...body, body: 'tampered' } });
      assert.equal(tampered.status, 401);
      assert.match(tampered.json.error_msg, /verify aksk signature fail/);
    });
});

describe('open mode (no --dms-credentials)', { timeout: 30000 }, () => {
  let server;
  before(async () => {
    server = await Server.start();
  });
  after(async () => {
    if (server) await server.stop();
  });

  it('accepts signed requests with any key, and unsigned ones', async () => {
    for (const [ak, sk] of [[AK, SK], [AK, 'wrong'], ['ANYAK', 'ANYSK']]) {
      const c = makeClient(server.endpoint, { ak, sk });
      assert.equal((await c.showInstance(new r.ShowInstanceRequest(INSTANCE_ID))).instance_id,
        INSTANCE_ID);
    }
    const unsigned = await rawRequest(server.port, {
      path: `/v2/${PROJECT_ID}/instances/${INSTANCE_ID}`, sign: false });
    assert.equal(unsigned.status, 200);
    assert.equal(unsigned.json.instance_id, INSTANCE_ID);
  });
});
