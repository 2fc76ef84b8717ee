// ICE servers for peer connections: GET /api/ice?token=... when the server offers it (short-lived TURN
// credentials), else host candidates only, which is enough on one LAN.
//
// Expected answer (200, application/json):
//   {"iceServers": [{"urls": ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"],
//                    "username": "1767225600:p-abcdefghij", "credential": "base64 HMAC-SHA1"}],
//    "iceTransportPolicy": "all" | "relay", "ttlSeconds": 3600}

export const NO_ICE = Object.freeze({ iceServers: [], iceTransportPolicy: 'all', ttlSeconds: 0 });

export async function fetchIceConfig(token) {
  try {
    const r = await fetch(`/api/ice?token=${encodeURIComponent(token)}`, { cache: 'no-store' });
    if (r.status !== 200) return { ...NO_ICE, fetchedAt: Date.now() };
    const body = await r.json();
    return {
      iceServers: Array.isArray(body.iceServers) ? body.iceServers : [],
      iceTransportPolicy: body.iceTransportPolicy === 'relay' ? 'relay' : 'all',
      ttlSeconds: Number(body.ttlSeconds) || 0,
      fetchedAt: Date.now(),
    };
  } catch (e) {
    return { ...NO_ICE, fetchedAt: Date.now() };
  }
}

/** True when credentials are past half their lifetime and should be fetched again before a new connection. */
export function stale(config) {
  return config.ttlSeconds > 0 && Date.now() - config.fetchedAt > config.ttlSeconds * 500;
}
