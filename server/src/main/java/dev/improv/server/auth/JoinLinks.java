package dev.improv.server.auth;

import dev.improv.server.protocol.Role;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.EnumSet;

/** Makes join links: a fresh participant id, a signed token, and the web page URL for the role. Thread-safe. */
public final class JoinLinks {
    /** A join link as the admin API returns it. {@code expiresAt} is in seconds since the epoch. */
    public record Link(Role role, String participantId, String name, String url, String token, long expiresAt) {
    }

    private static final char[] ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();
    private final TokenService tokens;
    private final String publicUrl;
    private final long defaultTtlSeconds;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public JoinLinks(TokenService tokens, String publicUrl, long defaultTtlSeconds, Clock clock) {
        this.tokens = tokens;
        this.publicUrl = publicUrl;
        this.defaultTtlSeconds = defaultTtlSeconds;
        this.clock = clock;
    }

    /** A link into a room; {@code ttlSeconds} of 0 means the configured default. */
    public Link forRoom(String roomId, Role role, String name, long ttlSeconds) {
        return forParticipant(roomId, role, newParticipantId(role), name, ttlSeconds);
    }

    /** A room link for a participant whose id already exists (a performer matched in a lobby keeps its id). */
    public Link forParticipant(String roomId, Role role, String pid, String name, long ttlSeconds) {
        long exp = expiry(ttlSeconds);
        String displayName = name == null || name.isBlank() ? defaultName(role, pid) : name;
        String token = tokens.issue(JoinClaims.forRoom(roomId, role, pid, displayName, exp));
        return link(role, pid, displayName, pageFor(role), token, exp);
    }

    /**
     * A recorder link with the {@link Scope#MEDIA} scope: the room's media recorder, which performer pages send
     * their media to. {@code ttlSeconds} of 0 means the configured default.
     */
    public Link forMediaRecorder(String roomId, String name, long ttlSeconds) {
        String pid = newParticipantId(Role.RECORDER);
        long exp = expiry(ttlSeconds);
        String displayName = name == null || name.isBlank() ? defaultName(Role.RECORDER, pid) : name;
        String token = tokens.issue(new JoinClaims(roomId, null, Role.RECORDER, pid, displayName, exp, 0, 0,
                EnumSet.of(Scope.JOIN, Scope.ICE, Scope.MEDIA)));
        return link(Role.RECORDER, pid, displayName, pageFor(Role.RECORDER), token, exp);
    }

    /** A lobby link for a pool: performers queue there; moderators watch the pool and get its rooms. */
    public Link forPool(String pool, Role role, String name, long ttlSeconds) {
        String pid = newParticipantId(role);
        long exp = expiry(ttlSeconds);
        String displayName = name == null || name.isBlank() ? defaultName(role, pid) : name;
        String token = tokens.issue(JoinClaims.forPool(pool, role, pid, displayName, exp));
        return link(role, pid, displayName, "lobby.html", token, exp);
    }

    private long expiry(long ttlSeconds) {
        return clock.instant().getEpochSecond() + (ttlSeconds > 0 ? ttlSeconds : defaultTtlSeconds);
    }

    private Link link(Role role, String pid, String name, String page, String token, long exp) {
        return new Link(role, pid, name, publicUrl + "/" + page + "?token="
                + URLEncoder.encode(token, StandardCharsets.US_ASCII), token, exp);
    }

    public static String pageFor(Role role) {
        return switch (role) {
            case PERFORMER, OBSERVER -> "perform.html";
            case MODERATOR -> "moderate.html";
            case RECORDER -> "record.html";
        };
    }

    private String newParticipantId(Role role) {
        char[] id = new char[10];
        for (int i = 0; i < id.length; i++) {
            id[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return role.wireName().charAt(0) + "-" + new String(id);
    }

    private static String defaultName(Role role, String pid) {
        String r = role.wireName();
        return Character.toUpperCase(r.charAt(0)) + r.substring(1) + " " + pid.substring(2, 6);
    }
}
