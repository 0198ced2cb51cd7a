'use strict';
// Shared by every test file: builds SDK clients pointed at a rewindmq server
// (tests/testing/node/rewindmq_server.js starts it), and checks SDK errors.
//
// Environment:
//   REWINDMQ_BINARY  path of the rewindmq binary (required; ctest sets it)
//   RMQ_SANITIZED    set for sanitizer builds: longer start/stop timeouts

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const PACKAGE_DIR = path.join(__dirname, '..');
const SDK_PACKAGE = path.join(PACKAGE_DIR, 'node_modules', '@huaweicloud',
  'huaweicloud-sdk-rocketmq');
if (!fs.existsSync(SDK_PACKAGE)) {
  throw new Error(
    `${path.join(PACKAGE_DIR, 'node_modules')} is missing: the DMS SDK tests ` +
    'need the official Huawei Cloud SDK. Install it with ' +
    '`npm ci --no-audit --no-fund` in tests/dms_sdk (tools/dev.sh test ' +
    'does this before running the tests).');
}

const { SCRATCH, Server, httpGet, sleep } =
  require('../../testing/node/rewindmq_server.js');

// The scratch directory of the server's data directories is also the home
// directory where the SDK writes its application id, so that a test run
// writes nothing outside it.
process.env.HOME = SCRATCH;

const core = require('@huaweicloud/huaweicloud-sdk-core');
const { ClientRequestException } =
  require('@huaweicloud/huaweicloud-sdk-core/exception/ClientRequestException');
const { ServiceResponseException } =
  require('@huaweicloud/huaweicloud-sdk-core/exception/ServiceResponseException');
const { ServerResponseException } =
  require('@huaweicloud/huaweicloud-sdk-core/exception/ServerResponseException');
// The core logs every failed request to stdout; the tests expect failures.
require('@huaweicloud/huaweicloud-sdk-core/logger/log4jLogger')
  .Logger4jInstance.level = 'off';
const rocketmq = require('@huaweicloud/huaweicloud-sdk-rocketmq');

// The default instance of rewindmq (broker/facades/dms/README.md).
const INSTANCE_ID = '00000000-0000-4000-8000-000000000001';
const PROJECT_ID = '0123456789abcdef0123456789abcdef';

// An SDK client for `endpoint`. Any AK/SK works against a server without
// --dms-credentials; projectId null leaves it unset.
function makeClient(endpoint, { ak = 'LOCALAK0000000000000', sk = 'local-secret-key',
  projectId = PROJECT_ID } = {}) {
  const credentials = new core.BasicCredentials().withAk(ak).withSk(sk);
  if (projectId !== null) credentials.withProjectId(projectId);
  return rocketmq.RocketMQClient.newBuilder()
    .withCredential(credentials)
    .withEndpoint(endpoint)
    .build();
}

// Awaits `promise`, which must fail with a ClientRequestException (or the
// class given) carrying `status` and `code`; returns the exception.
async function expectSdkError(promise, { status, code, msg, type = ClientRequestException }) {
  let error = null;
  try {
    const answer = await promise;
    assert.fail(`expected ${status} ${code}, got success ${JSON.stringify(answer)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    error = e;
  }
  assert.ok(error instanceof type,
    `expected ${type.name}, got ${error && error.constructor.name}: ${JSON.stringify(error)}`);
  assert.equal(error.httpStatusCode, status, JSON.stringify(error));
  assert.equal(error.errorCode, code, JSON.stringify(error));
  assert.match(error.requestId, /^[0-9a-f]{32}$/, 'X-Request-Id is 32 lowercase hex');
  if (msg !== undefined) assert.match(error.errorMsg, msg);
  return error;
}

// Every message of `topic` stored so far, by paging ListMessages over the
// whole time range.
async function allMessages(client, topic, { instanceId = INSTANCE_ID, pageSize = 50 } = {}) {
  const out = [];
  const end = String(Date.now() + 60000);
  for (let page = 0; page < 1000; page++) {
    const r = await client.listMessages(new rocketmq.ListMessagesRequest('reliability',
      instanceId, topic).withStartTime('0').withEndTime(end)
      .withOffset(out.length).withLimit(pageSize));
    out.push(...r.messages);
    if (r.messages.length === 0 || out.length >= r.total) return out;
  }
  throw new Error('ListMessages paging did not finish');
}

module.exports = {
  INSTANCE_ID,
  PROJECT_ID,
  ClientRequestException,
  ServerResponseException,
  ServiceResponseException,
  Server,
  allMessages,
  core,
  expectSdkError,
  httpGet,
  makeClient,
  rocketmq,
  sleep,
};
