// Reads the join token from the page URL. The token is base64url(JSON claims) + "." + signature; the page only
// reads the claims (room, role, pid, name, exp) to know where to connect. The server verifies the signature.

/** Decodes base64url into a UTF-8 string; throws on malformed input. */
function base64UrlDecode(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
  const binary = atob(b64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/**
 * The claims of a token, or null when the token cannot be read. Stopgap until the pages ask the server
 * (GET /api/token-info?token=…, see docs/integration.md): reads a JWT's payload (its participant is `sub`) or a
 * link of the format before JWT.
 */
export function readClaims(token) {
  if (!token || token.indexOf('.') <= 0) {
    return null;
  }
  try {
    const parts = token.split('.');
    const claims = JSON.parse(base64UrlDecode(parts.length === 3 ? parts[1] : parts[0]));
    if (claims && typeof claims === 'object' && parts.length === 3 && claims.pid === undefined) {
      claims.pid = claims.sub;
    }
    return claims && typeof claims === 'object' ? claims : null;
  } catch (e) {
    return null;
  }
}

/** The token in this page's URL (?token=...) and its claims: {token, claims} (claims null when unreadable). */
export function tokenFromPage(loc = window.location) {
  const token = new URLSearchParams(loc.search).get('token');
  return { token, claims: token ? readClaims(token) : null };
}

/** True when the claims' expiry (seconds since the epoch) has passed by this browser's clock. */
export function expired(claims, nowMs = Date.now()) {
  return !!claims && typeof claims.exp === 'number' && claims.exp * 1000 <= nowMs;
}
