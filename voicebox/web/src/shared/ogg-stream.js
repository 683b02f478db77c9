// Playing an Ogg Opus file as it downloads, on a slow link. Given a file, Chromium's player
// waits for 32 KB blocks (and, when it knows the length, for the file's end, where Ogg keeps the
// duration): 5 s and more at 50 kb/s. Here the Opus packets are taken out of the Ogg pages as
// they arrive and handed to the same audio element as WebM through Media Source Extensions,
// which plays as soon as it has a fraction of a second. Loaded only when a message is played.

// Ogg: pages of segments; a packet ends at the first segment shorter than 255 bytes.
class OggPackets {
  constructor() {
    this.buffer = new Uint8Array(0);
    this.partial = [];
  }

  push(bytes) {
    const joined = new Uint8Array(this.buffer.length + bytes.length);
    joined.set(this.buffer);
    joined.set(bytes, this.buffer.length);
    const packets = [];
    let at = 0;
    while (joined.length - at >= 27) {
      if (joined[at] !== 0x4f || joined[at + 1] !== 0x67 || joined[at + 2] !== 0x67 || joined[at + 3] !== 0x53) {
        throw new Error("not an Ogg stream");
      }
      const segments = joined[at + 26];
      const table = at + 27;
      if (joined.length < table + segments) break;
      let size = 0;
      for (let i = 0; i < segments; i++) size += joined[table + i];
      if (joined.length < table + segments + size) break;
      let offset = table + segments;
      for (let i = 0; i < segments; i++) {
        const lace = joined[table + i];
        this.partial.push(joined.subarray(offset, offset + lace));
        offset += lace;
        if (lace < 255) {
          packets.push(concat(this.partial));
          this.partial = [];
        }
      }
      at = offset;
    }
    this.buffer = joined.slice(at);
    return packets;
  }
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// How long an Opus packet plays, in ms, from its table-of-contents byte (RFC 6716, 3.1).
function packetMs(packet) {
  const config = packet[0] >> 3;
  const frame = config < 12 ? [10, 20, 40, 60][config % 4] : config < 16 ? [10, 20][config % 2] : [2.5, 5, 10, 20][config % 4];
  const code = packet[0] & 3;
  return frame * (code === 0 ? 1 : code < 3 ? 2 : packet[1] & 0x3f);
}

// WebM, as little as MSE needs: EBML elements of (id, size, data).
function element(id, ...body) {
  const data = concat(body);
  const size = data.length;
  const head = [];
  for (let shift = 24; shift >= 0; shift -= 8) if (id >= 1 << shift || shift === 0) head.push((id >>> shift) & 255);
  // Sizes in 4 bytes (up to 256 MB).
  return concat([Uint8Array.from(head), Uint8Array.of(0x10 | (size >>> 24), (size >>> 16) & 255, (size >>> 8) & 255, size & 255), data]);
}

function uint(id, value) {
  const bytes = [];
  for (let v = value; bytes.length === 0 || v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return element(id, Uint8Array.from(bytes));
}

function float(id, value) {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value);
  return element(id, bytes);
}

const text = (id, value) => element(id, new TextEncoder().encode(value));

function header(opusHead) {
  const channels = opusHead[9];
  const preSkip = opusHead[10] | (opusHead[11] << 8);
  const ebml = element(0x1a45dfa3, uint(0x4286, 1), uint(0x42f7, 1), uint(0x42f2, 4), uint(0x42f3, 8), text(0x4282, "webm"), uint(0x4287, 4), uint(0x4285, 2));
  const info = element(0x1549a966, uint(0x2ad7b1, 1000000), text(0x4d80, "voicebox"), text(0x5741, "voicebox"));
  const track = element(0xae,
    uint(0xd7, 1), uint(0x73c5, 1), uint(0x83, 2), text(0x86, "A_OPUS"), element(0x63a2, opusHead),
    uint(0x56aa, Math.round((preSkip * 1e9) / 48000)), uint(0x56bb, 80000000),
    element(0xe1, float(0xb5, 48000), uint(0x9f, channels)),
  );
  // A Segment of unknown size: clusters follow as they come.
  const segment = Uint8Array.of(0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
  return concat([ebml, segment, info, element(0x1654ae6b, track)]);
}

// Clusters of the packets from `startMs` on; a block is timed from its cluster in 16 bits, so
// a cluster holds at most 30 s.
function clusters(packets, startMs) {
  const out = [];
  let start = startMs;
  let blocks = [];
  let at = 0;
  const flush = () => {
    if (blocks.length) out.push(element(0x1f43b675, uint(0xe7, Math.round(start)), ...blocks));
    start += at;
    blocks = [];
    at = 0;
  };
  for (const packet of packets) {
    if (at >= 30000) flush();
    const relative = Math.round(at);
    blocks.push(element(0xa3, Uint8Array.of(0x81, relative >> 8, relative & 255, 0x80), packet));
    at += packetMs(packet);
  }
  flush();
  return { bytes: concat(out), end: start };
}

function appended(buffer, bytes) {
  return new Promise((resolve, reject) => {
    buffer.addEventListener("updateend", resolve, { once: true });
    buffer.addEventListener("error", reject, { once: true });
    buffer.appendBuffer(bytes);
  });
}

// Plays the Ogg Opus file at `url` in `audio` (as `type`, WebM Opus) as it arrives; resolves
// once it is all in.
export async function stream(audio, url, durationMs, type, signal) {
  const source = new MediaSource();
  audio.src = URL.createObjectURL(source);
  await new Promise((resolve) => source.addEventListener("sourceopen", resolve, { once: true }));
  URL.revokeObjectURL(audio.src);
  source.duration = durationMs / 1000;
  const buffer = source.addSourceBuffer(type);
  const response = await fetch(url, { signal });
  if (!response.ok) throw new Error(`audio: HTTP ${response.status}`);
  const reader = response.body.getReader();
  const ogg = new OggPackets();
  let head = null;
  let tags = false;
  let ms = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const packets = ogg.push(value);
    if (!head && packets.length) {
      head = packets.shift();
      await appended(buffer, header(head));
    }
    if (!tags && packets.length) {
      packets.shift(); // OpusTags
      tags = true;
    }
    if (packets.length) {
      const next = clusters(packets, ms);
      ms = next.end;
      await appended(buffer, next.bytes);
    }
  }
  if (source.readyState === "open") source.endOfStream();
}
