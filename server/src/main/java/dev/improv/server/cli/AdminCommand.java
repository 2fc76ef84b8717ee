package dev.improv.server.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A subcommand that calls the admin API: the connection options, the client and the printer, once. */
abstract class AdminCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;
    @Spec
    CommandSpec spec;

    AdminClient client() {
        return AdminClient.from(connection);
    }

    Printer printer() {
        return new Printer(spec.commandLine().getOut(), connection.json);
    }
}
