// A minimal RocketMQ remoting client for the crash harness: JSON-header
// frames over one TCP connection, requests matched to answers by opaque
// (rocketmq-remoting.md section 1), and the pulled-record decoder (3.6).
// Enough to produce and pull with the protocol's own bytes; compatibility
// with the real clients is proved by tests/remoting_java and
// tests/remoting_go.
import net from 'node:net';

export class RemotingError extends Error {
  constructor(message) {
    super(message);
    this.name = 'RemotingError';
  }
}

export class RemotingConnection {
  // Resolves once connected to 127.0.0.1:port.
  static connect(port, timeoutMs) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RemotingError(`connect to ${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RemotingConnection(socket));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new RemotingError(`connect to ${port}: ${e.message}`));
      });
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.pending = new Map(); // opaque -> {resolve, reject, timer}
    this.nextOpaque = 1;
    this.buf = Buffer.alloc(0);
    this.closed = false;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    const fail = (why) => {
      if (this.closed) return;
      this.closed = true;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new RemotingError(`connection closed: ${why}`));
      }
      this.pending.clear();
    };
    socket.on('error', (e) => fail(e.message));
    socket.on('close', () => fail('closed'));
  }

  onData(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 4) {
      const length = this.buf.readUInt32BE(0);
      if (this.buf.length < 4 + length) break;
      const frame = this.buf.subarray(4, 4 + length);
      this.buf = this.buf.subarray(4 + length);
      const mark = frame.readUInt32BE(0);
      const headerLength = mark & 0xffffff;
      if (mark >>> 24 !== 0) continue; // we only ask in JSON
      const header = JSON.parse(frame.subarray(4, 4 + headerLength).toString('utf8'));
      const body = frame.subarray(4 + headerLength);
      if ((header.flag & 1) === 0) continue; // a server request (notification)
      const p = this.pending.get(header.opaque);
      if (!p) continue;
      this.pending.delete(header.opaque);
      clearTimeout(p.timer);
      p.resolve({ code: header.code, remark: header.remark, ext: header.extFields || {}, body });
    }
  }

  // Sends one request; resolves with {code, remark, ext, body}.
  request(code, extFields, body = Buffer.alloc(0), timeoutMs = 15000) {
    if (this.closed) return Promise.reject(new RemotingError('connection closed'));
    const opaque = this.nextOpaque++;
    const header = Buffer.from(JSON.stringify({ code, extFields, flag: 0, language: 'NODE_JS', opaque, version: 409 }));
    const head = Buffer.alloc(8);
    head.writeUInt32BE(4 + header.length + body.length, 0);
    head.writeUInt32BE(header.length, 4);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(opaque);
        reject(new RemotingError(`request ${code} timed out`));
      }, timeoutMs);
      this.pending.set(opaque, { resolve, reject, timer });
      this.socket.write(Buffer.concat([head, header, body]));
    });
  }

  close() {
    this.socket.destroy();
  }
}

export function encodeProperties(props) {
  return props.map(([k, v]) => `${k}\u0001${v}\u0002`).join('');
}

export function decodeProperties(text) {
  const out = new Map();
  for (const item of text.split('\u0002')) {
    const sep = item.indexOf('\u0001');
    if (item.length < 3 || sep <= 0) continue;
    out.set(item.slice(0, sep), item.slice(sep + 1));
  }
  return out;
}

// The records of a PULL_MESSAGE answer body.
export function decodeRecords(buf) {
  const out = [];
  let p = 0;
  while (p < buf.length) {
    const start = p;
    const total = buf.readUInt32BE(p);
    if (buf.readUInt32BE(p + 4) !== 0xdaa320a7) throw new RemotingError(`bad magic at ${p}`);
    const queueId = buf.readInt32BE(p + 12);
    const queueOffset = Number(buf.readBigInt64BE(p + 20));
    const physicalOffset = buf.readBigInt64BE(p + 28);
    const sysFlag = buf.readInt32BE(p + 36);
    p += 48;
    p += ((sysFlag & 0x10) ? 16 : 4) + 4; // born host
    const storeTimestamp = Number(buf.readBigInt64BE(p));
    p += 8 + ((sysFlag & 0x20) ? 16 : 4) + 4 + 4 + 8; // store host, reconsume, prepared
    const bodyLength = buf.readInt32BE(p);
    const body = buf.subarray(p + 4, p + 4 + bodyLength).toString('utf8');
    p += 4 + bodyLength;
    const topicLength = buf.readUInt8(p);
    const topic = buf.subarray(p + 1, p + 1 + topicLength).toString('utf8');
    p += 1 + topicLength;
    const propsLength = buf.readUInt16BE(p);
    const properties = decodeProperties(buf.subarray(p + 2, p + 2 + propsLength).toString('utf8'));
    p += 2 + propsLength;
    if (p - start !== total) throw new RemotingError(`record at ${start} is ${p - start} bytes, says ${total}`);
    out.push({ queueId, queueOffset, physicalOffset, storeTimestamp, body, topic, properties });
  }
  return out;
}

// The broker's (DMS) msg_id of a record named by an offsetMsgId: rewindmq's
// physical offset is storage queue id << 40 | queue offset.
export function dmsMsgIdOf(offsetMsgId) {
  const physical = BigInt(`0x${offsetMsgId.slice(16)}`);
  const qid = physical >> 40n;
  const offset = physical & ((1n << 40n) - 1n);
  const hex = (v) => v.toString(16).toUpperCase().padStart(16, '0');
  return hex(qid) + hex(offset);
}
