/**
 * HTTP on the main port (and on the admin listener when there is one): one {@link dev.improv.server.http.RouteTable}
 * per listener (method + path pattern → handler) with {@link dev.improv.server.http.AdminAuth} as the one admin
 * middleware; the routes of rooms, pools, session export, ICE, prompt library, health and metrics; the web client's
 * static files, preloaded into memory so that serving them never touches the disk on an I/O thread. Handlers run on
 * the connection's I/O thread and answer there or, through {@link dev.improv.server.http.HttpExchange}, later from
 * the thread that has the answer (a pool's owner, the disk pool). Errors have the WebSocket protocol's shape.
 */
package dev.improv.server.http;
