package dev.improv.server.routing;

/**
 * The node that owns a room or pool did not answer a call that changes it (a close) in time: the change may still
 * happen there, so the caller is told to look again, never that the room or pool does not exist. The HTTP API
 * answers 503 {@code OWNER_UNREACHABLE}.
 */
public final class OwnerUnreachable extends RuntimeException {
    public OwnerUnreachable(String message, Throwable cause) {
        super(message, cause);
    }
}
