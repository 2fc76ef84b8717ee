package dev.improv.server.http;

/**
 * Answers one matched request, now or later (through {@link HttpExchange#reply}). Runs on the connection's I/O
 * thread: anything slow (disk, a remote node) goes elsewhere and answers from there. May throw
 * {@link ApiError.Failure} or {@link dev.improv.server.protocol.ProtocolViolation} to refuse the request.
 */
@FunctionalInterface
public interface RouteHandler {
    void handle(HttpExchange exchange) throws Exception;
}
