package dev.improv.server.room;

/** Turns the UTF-8 JSON of one event into a frame that can be sent to many connections without copying. */
@FunctionalInterface
public interface FrameFactory {
    SharedFrame wrap(byte[] utf8Json);
}
