package dev.improv.server.transport;

import java.util.List;
import java.util.Locale;

/**
 * Which browser origins may open a WebSocket. Requests without an Origin header (non-browser clients) pass:
 * the signed token is what authenticates; the Origin check stops other web sites from riding a user's link.
 */
final class OriginPolicy {
    private final List<String> allowed;

    OriginPolicy(List<String> allowed) {
        this.allowed = allowed.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
    }

    /**
     * @param origin the Origin header, may be null
     * @param host   the Host header, may be null
     */
    boolean allows(String origin, String host) {
        if (origin == null) {
            return true;
        }
        String o = origin.toLowerCase(Locale.ROOT);
        if (allowed.isEmpty()) {
            return host != null && (o.equals("http://" + host.toLowerCase(Locale.ROOT))
                    || o.equals("https://" + host.toLowerCase(Locale.ROOT)));
        }
        return allowed.contains("*") || allowed.contains(o);
    }
}
