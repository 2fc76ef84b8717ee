package dev.improv.server.transport;

import dev.improv.server.protocol.ClientMessage;

/** A decoded client message and the server time (µs) its frame was read, for time-sync accuracy. */
record InboundMessage(ClientMessage message, long receivedAt) {
}
