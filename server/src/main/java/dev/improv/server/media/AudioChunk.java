package dev.improv.server.media;

/**
 * Ten milliseconds (or so) of one performer's received audio, already 48 kHz mono, as handed from WebRTC's
 * audio thread to the room's writer thread. {@code arrivalServerUs}: server time when WebRTC delivered it;
 * {@code latencyUs}: the estimated time from capture at the performer to that delivery; {@code stream}: which
 * peer connection of this performer produced it (a new offer starts a new stream).
 */
record AudioChunk(String participantId, short[] samples, long arrivalServerUs, long latencyUs, int stream) {
}
