package dev.improv.server.take;

/** The consent text a room's performers are asked to accept on the stage before anything of them is recorded. */
public record ConsentTerms(int version, String text) {
}
