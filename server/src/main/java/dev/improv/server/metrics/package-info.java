/**
 * {@link dev.improv.server.metrics.ServerMetrics} owns every Micrometer meter; the rest of the server calls its
 * verbs. Tags come only from bounded enums (role, message type, error code), never from ids or free text.
 * All verbs are thread-safe and lock-free.
 */
package dev.improv.server.metrics;
