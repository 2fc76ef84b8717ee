package dev.improv.server.cli;

import java.io.PrintWriter;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The operator's command line, in the server's own jar: {@code java -jar improv-server.jar rooms list}. Each
 * subcommand calls the admin API of a running server with the admin key ({@link ConnectionOptions}) and prints
 * text for people or, with {@code --json}, the server's JSON. Without a subcommand the jar starts the server
 * ({@code dev.improv.server.Main}).
 */
@Command(name = "improv-server", mixinStandardHelpOptions = true,
        versionProvider = OperatorCli.Version.class,
        description = "Operator commands against a running server (without a subcommand: start the server).",
        subcommands = {RoomsCommand.class, LinksCommand.class, PoolsCommand.class, SessionsCommand.class,
                SessionExportCommand.class, TokensCommand.class, KeysCommand.class, DatasetCommand.class},
        footer = {"", "Exit codes: 0 done; 1 refused by the server (the message says why); 2 bad usage or no key "
                + "file; 3 server not reachable; 4 wrong admin key; 5 no such room, pool or session."})
public final class OperatorCli {
    /** The first words that select the CLI instead of the server. */
    public static final Set<String> COMMANDS = Set.of("rooms", "links", "pools", "sessions", "export", "tokens",
            "keys", "dataset");

    private OperatorCli() {
    }

    /** Whether {@code args} ask for an operator command rather than for the server. */
    public static boolean isCommand(String[] args) {
        return args.length > 0 && COMMANDS.contains(args[0]);
    }

    /** Runs one command; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new OperatorCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof CliFailure f) {
                line.getErr().println(line.getCommandSpec().qualifiedName() + ": " + f.getMessage());
                return f.exitCode();
            }
            throw e;
        });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"improv-server " + dev.improv.server.config.ServerCommand.serverVersion()};
        }
    }
}
