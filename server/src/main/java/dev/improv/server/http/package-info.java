/**
 * HTTP on the same port as the WebSockets: the admin API (rooms, join links; protected by the admin key),
 * {@code /healthz}, {@code /metrics}, and the web client's static files, preloaded into memory at start-up so
 * that serving them never touches the disk on an I/O thread.
 */
package dev.improv.server.http;
