/**
 * Join tokens and the admin key. A join token is a JWT signed with HS256 under a key id ({@code kid}); the keys in
 * force ({@link dev.improv.server.auth.TokenKeys}) allow a rotation: add a key, sign with it, retire the old one.
 * {@link dev.improv.server.auth.TokenService} is the one place that issues, verifies and reads tokens; verification
 * is one HMAC (microseconds), so it runs on the I/O thread. Everything here is immutable or thread-safe; the key
 * set is swapped whole.
 */
package dev.improv.server.auth;
