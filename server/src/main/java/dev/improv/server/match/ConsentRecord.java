package dev.improv.server.match;

/** Proof that {@code pid} accepted the pool's consent text {@code consentVersion} at {@code acceptedAt} (epoch millis). */
public record ConsentRecord(String pid, int consentVersion, long acceptedAt) {
}
