/**
 * Signed join tokens and the admin key. A token is {@code base64url(claims JSON) "." base64url(HMAC-SHA256)}
 * with a server secret; verification is constant-time and cheap (microseconds), so it runs on the I/O thread.
 * Everything here is immutable or thread-safe.
 */
package dev.improv.server.auth;
