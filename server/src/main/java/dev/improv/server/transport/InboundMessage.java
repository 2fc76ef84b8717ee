package dev.improv.server.transport;

/** A decoded client message and the server time (µs) its frame was read, for time-sync accuracy. */
record InboundMessage<M>(M message, long receivedAt) {
}
