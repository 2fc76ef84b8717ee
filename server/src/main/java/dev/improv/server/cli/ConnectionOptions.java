package dev.improv.server.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the server is and how the CLI proves it is an operator: shared by every subcommand. */
final class ConnectionOptions {
    @Option(names = "--server", defaultValue = "${env:IMPROV_ADMIN_URL:-http://127.0.0.1:8080}",
            description = "The server's admin address: its main port, or --admin-port when it has one "
                    + "(env IMPROV_ADMIN_URL). Plain http only to this machine.")
    String server;

    @Option(names = "--admin-key-file", defaultValue = "${env:IMPROV_ADMIN_KEY_FILE:-./data/admin-key}",
            description = "File holding the admin key (env IMPROV_ADMIN_KEY_FILE); IMPROV_ADMIN_KEY, when set, is "
                    + "used instead. The key is never taken from an argument (others see those) nor printed.")
    Path adminKeyFile;

    @Option(names = "--timeout-seconds", defaultValue = "30", description = "How long to wait for an answer.")
    long timeoutSeconds;

    @Option(names = "--json", description = "Print the server's JSON answer instead of text for people.")
    boolean json;

    /** The key and where it came from (for messages). */
    String[] adminKey() {
        String fromEnv = System.getenv("IMPROV_ADMIN_KEY");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new String[] {fromEnv.trim(), "from IMPROV_ADMIN_KEY"};
        }
        Path file = adminKeyFile.toAbsolutePath().normalize();
        return new String[] {AdminClient.readKeyFile(file), "from " + file};
    }
}
