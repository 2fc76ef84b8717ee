package dev.improv.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokens mint}: a join token (JWT) signed by the server with its signing key, printed alone. */
@Command(name = "tokens", description = "Join tokens.", mixinStandardHelpOptions = true,
        subcommands = TokensCommand.Mint.class)
final class TokensCommand {
    @Command(name = "mint", description = "Mint a join token for a room or a pool and print it (for scripts: "
            + "`TOKEN=$(improv-server tokens mint --room R --role performer)`).", mixinStandardHelpOptions = true)
    static final class Mint extends AdminCommand {
        @ArgGroup(multiplicity = "1")
        LinksCommand.Target target;
        @Option(names = "--role", required = true, description = "performer, moderator, recorder or observer.")
        String role;
        @Option(names = "--name", description = "Display name.")
        String name;
        @Option(names = "--ttl-seconds", description = "Lifetime (default: the server's).")
        Long ttlSeconds;

        @Override
        public Integer call() {
            JsonNode link = LinksCommand.issue(connection, target, role, name, ttlSeconds);
            Printer p = printer();
            if (!p.jsonIfAsked(link)) {
                p.line(link.path("token").asText());
            }
            return 0;
        }
    }
}
