/**
 * The session log's connection to the server: {@link dev.improv.server.eventlog.http.SessionLogFeatures} wires
 * the writer and the export routes in, {@link dev.improv.server.eventlog.http.SessionExportRoutes} serves
 * {@code /api/sessions} to admins. Routes validate on the Netty I/O thread, then read files on the features' own
 * export executor and write the response back from there (Netty queues it onto the channel's event loop).
 */
package dev.improv.server.eventlog.http;
