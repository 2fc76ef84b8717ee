package dev.improv.server.auth;

import dev.improv.server.protocol.Capability;
import dev.improv.server.protocol.Role;
import java.util.List;
import java.util.Set;

/**
 * What a join token says: where ({@code room}, or a lobby {@code pool}), as whom ({@code pid} — the JWT
 * {@code sub} —, {@code name}), in which {@code role}, what it allows ({@code scopes}), and when it is valid
 * ({@code nbf} to {@code exp}, issued at {@code iat}; seconds since the epoch, 0 = not stated).
 */
public record JoinClaims(String room, String pool, Role role, String pid, String name, long exp, long iat, long nbf,
                         Set<Scope> scopes) {
    public JoinClaims {
        scopes = scopes == null || scopes.isEmpty() ? Scope.defaultsFor(role) : Set.copyOf(scopes);
    }

    public static JoinClaims forRoom(String room, Role role, String pid, String name, long exp) {
        return new JoinClaims(room, null, role, pid, name, exp, 0, 0, null);
    }

    public static JoinClaims forPool(String pool, Role role, String pid, String name, long exp) {
        return new JoinClaims(null, pool, role, pid, name, exp, 0, 0, null);
    }

    public boolean allows(Scope scope) {
        return scopes.contains(scope);
    }

    /** What the room is told this participant does beyond its role (the media recorder's {@code media}). */
    public List<Capability> capabilities() {
        return Scope.capabilities(scopes);
    }

    /** The same claims with other validity times (the issuer fills in {@code iat} and {@code nbf}). */
    public JoinClaims withTimes(long issuedAt, long notBefore) {
        return new JoinClaims(room, pool, role, pid, name, exp, issuedAt, notBefore, scopes);
    }
}
