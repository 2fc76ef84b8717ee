package dev.improv.server.transport;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * Which browser origins may open a WebSocket. Requests without an Origin header (non-browser clients) pass:
 * the signed token is what authenticates; the Origin check stops other web sites from riding a user's link.
 *
 * <p>With no {@code --allowed-origins} the allowed origin is the server's own configured public origin (from
 * {@code --public-url}), plus pages this server serves on a loopback name or address on its own port. The
 * {@code Host} header is not compared with: a DNS-rebinding page sends {@code Origin: http://evil.example} with
 * {@code Host: evil.example}, which matches itself.
 */
final class OriginPolicy {
    private static final List<String> LOOPBACK_HOSTS = List.of("localhost", "127.0.0.1", "[::1]");

    private final List<String> allowed;
    private final String publicOrigin;

    OriginPolicy(List<String> allowed, String publicUrl) {
        this.allowed = allowed.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
        this.publicOrigin = originOf(publicUrl);
    }

    /** {@code scheme://host[:port]} of a URL, lower case, without a default port; null when it has none. */
    static String originOf(String url) {
        if (url == null || url.isBlank()) {
            return null;
        }
        try {
            URI u = URI.create(url.trim());
            if (u.getScheme() == null || u.getHost() == null) {
                return null;
            }
            String scheme = u.getScheme().toLowerCase(Locale.ROOT);
            int port = u.getPort();
            boolean defaultPort = port == -1 || (scheme.equals("http") && port == 80)
                    || (scheme.equals("https") && port == 443);
            String host = u.getHost().toLowerCase(Locale.ROOT);
            return scheme + "://" + host + (defaultPort ? "" : ":" + port);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * @param origin    the Origin header, may be null
     * @param localPort the port this connection reached (pages served by this server on loopback)
     */
    boolean allows(String origin, int localPort) {
        if (origin == null) {
            return true;
        }
        String o = origin.toLowerCase(Locale.ROOT);
        if (!allowed.isEmpty()) {
            return allowed.contains("*") || allowed.contains(o);
        }
        if (o.equals(publicOrigin)) {
            return true;
        }
        for (String host : LOOPBACK_HOSTS) {
            if (o.equals("http://" + host + ":" + localPort) || o.equals("https://" + host + ":" + localPort)) {
                return true;
            }
        }
        return false;
    }
}
