/**
 * Reads a google.rpc.Status from a response body in either OTLP encoding, so
 * tests can assert the message an error carries. The protobuf reader handles
 * just the two fields Skein sets: 1 (code, varint) and 2 (message, string).
 */
export function readRpcStatus(body: Uint8Array, contentType: string | null): { code: number; message: string } {
  if (contentType?.startsWith('application/json')) {
    const json = JSON.parse(new TextDecoder().decode(body)) as { code?: number; message?: string };
    return { code: json.code ?? 0, message: json.message ?? '' };
  }
  let offset = 0;
  let code = 0;
  let message = '';
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = body[offset++];
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (offset < body.length) {
    const key = varint();
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) {
      const v = varint();
      if (field === 1) code = v;
    } else if (wire === 2) {
      const len = varint();
      const bytes = body.subarray(offset, offset + len);
      offset += len;
      if (field === 2) message = new TextDecoder().decode(bytes);
    } else {
      throw new Error(`unexpected wire type ${wire} in Status`);
    }
  }
  return { code, message };
}
