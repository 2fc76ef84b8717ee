/**
 * HTTP routes of the token feature: {@code /api/token-info} for pages, {@code /api/keys} for operators. Handlers
 * run on the I/O thread; the key file reload runs on its own thread and answers through the channel.
 */
package dev.improv.server.auth.http;
