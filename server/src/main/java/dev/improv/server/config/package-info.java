/**
 * Configuration: command-line flags with environment-variable equivalents (picocli), turned into one immutable
 * {@link dev.improv.server.config.ServerConfig}, plus the secrets persisted in the data directory. Read once at
 * start-up on the main thread.
 */
package dev.improv.server.config;
