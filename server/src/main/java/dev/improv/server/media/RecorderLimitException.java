package dev.improv.server.media;

/** Thrown when a recorder process is asked to record more rooms than it is configured for. */
public final class RecorderLimitException extends RuntimeException {
    public RecorderLimitException(int maxRooms) {
        super("this media recorder already records its maximum of " + maxRooms
                + " rooms; start another recorder process or raise --max-rooms");
    }
}
