package dev.improv.server.cluster;

/** The cluster cannot be joined at start: NATS not reachable, or JetStream off or refusing the room stream. */
public final class ClusterUnavailableException extends RuntimeException {
    public ClusterUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
