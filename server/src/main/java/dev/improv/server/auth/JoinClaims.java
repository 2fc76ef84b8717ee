package dev.improv.server.auth;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.improv.server.protocol.Role;

/**
 * What a join token says: where ({@code room}, or a lobby {@code pool}), as whom ({@code pid}, {@code name}),
 * in which {@code role}, and until when ({@code exp}, seconds since the epoch).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JoinClaims(int v, String room, String pool, Role role, String pid, String name, long exp) {
    public static final int VERSION = 1;

    public static JoinClaims forRoom(String room, Role role, String pid, String name, long exp) {
        return new JoinClaims(VERSION, room, null, role, pid, name, exp);
    }

    public static JoinClaims forPool(String pool, Role role, String pid, String name, long exp) {
        return new JoinClaims(VERSION, null, pool, role, pid, name, exp);
    }
}
