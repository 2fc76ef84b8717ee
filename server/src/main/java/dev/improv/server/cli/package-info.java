/**
 * The operator CLI: picocli subcommands of the server's jar ({@code rooms}, {@code links}, {@code pools},
 * {@code sessions}, {@code export}, {@code tokens mint}, {@code keys}) that call a running server's admin API with
 * the admin key, read from a file or the environment and never printed. Plain HTTP only to this machine. Every
 * failure is one sentence on stderr and an exit code ({@link dev.improv.server.cli.OperatorCli}).
 */
package dev.improv.server.cli;
