package dev.improv.server.routing;

import dev.improv.server.protocol.ErrorCode;

/**
 * The outcome of joining a room or a pool: a sink for the session's messages, or the refusal.
 *
 * @param sink    where the session's messages go; null when refused
 * @param refusal why the join was refused; null when joined
 */
public record Joined<M>(MessageSink<M> sink, ErrorCode refusal) {
    public static <M> Joined<M> with(MessageSink<M> sink) {
        return new Joined<>(sink, null);
    }

    public static <M> Joined<M> refused(ErrorCode refusal) {
        return new Joined<>(null, refusal);
    }
}
