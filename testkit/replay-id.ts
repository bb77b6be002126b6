// The replay id reel files a session under: base64url without padding of Amplitude's session
// replay id `"<device_id>/<session_id>"`. The one codec of TypeScript; testdata/replay-ids.json
// holds the cases it and the server's (crates/reel-store `replay_key`) must agree on.
//
// Session ids travel as decimal strings: some exceed JavaScript's safe integers, and a number
// would silently become another session's id.

export interface SessionKey {
  deviceId: string;
  /** Decimal digits (Amplitude's session id: epoch ms of the session start). */
  sessionId: string;
}

const SESSION_ID = /^-?\d+$/;

/** The replay id of a session. A number session id must be a safe integer: pass larger ones as a string. */
export function encodeReplayId(deviceId: string, sessionId: string | number | bigint): string {
  return Buffer.from(`${deviceId}/${sessionIdText(sessionId)}`, 'utf8').toString('base64url');
}

/** The session a replay id names; throws when it is not one reel would make. */
export function decodeReplayId(replayId: string): SessionKey {
  // Buffer's decoder skips what is not base64url and ignores stray trailing bits, so only an id
  // that encodes back to itself is one reel made.
  const bytes = Buffer.from(replayId, 'base64url');
  if (bytes.toString('base64url') !== replayId) throw notAReplayId(replayId);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw notAReplayId(replayId);
  }
  return parseSessionReplayId(text);
}

/**
 * Splits Amplitude's session replay id `"<device_id>/<session_id>"` (what an SDK's
 * `getSessionReplayId()` returns). Device ids may hold `/`: the session id follows the last one.
 */
export function parseSessionReplayId(value: string): SessionKey {
  const slash = value.lastIndexOf('/');
  const sessionId = value.slice(slash + 1);
  if (slash <= 0 || !SESSION_ID.test(sessionId)) throw new Error(`not a session replay id: ${JSON.stringify(value)}`);
  return { deviceId: value.slice(0, slash), sessionId };
}

function sessionIdText(sessionId: string | number | bigint): string {
  if (typeof sessionId === 'number' && !Number.isSafeInteger(sessionId)) {
    throw new Error(`session id ${sessionId} is not a safe integer: pass it as a string`);
  }
  const text = String(sessionId);
  if (!SESSION_ID.test(text)) throw new Error(`not a session id: ${JSON.stringify(text)}`);
  return text;
}

function notAReplayId(replayId: string): Error {
  return new Error(`not a replay id: ${JSON.stringify(replayId)}`);
}
