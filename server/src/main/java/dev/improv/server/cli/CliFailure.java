package dev.improv.server.cli;

/** A failure the CLI reports as one sentence on stderr and an exit code (never a stack trace). */
final class CliFailure extends RuntimeException {
    /** Bad arguments or a missing key file (picocli's own usage errors are 2 as well). */
    static final int USAGE = 2;
    /** The server refused the request (a wrong field, a conflict); the message says why. */
    static final int REFUSED = 1;
    /** The server could not be reached or did not answer. */
    static final int UNREACHABLE = 3;
    /** The server refused the admin key. */
    static final int NOT_AUTHORIZED = 4;
    /** The room, pool or session does not exist. */
    static final int NOT_FOUND = 5;

    private final int exitCode;

    CliFailure(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
