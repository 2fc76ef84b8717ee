package dev.improv.server.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** An id as one URL path segment: encoded, so that "a/b" or ".." stays one segment (the server then refuses it). */
final class PathSegment {
    private PathSegment() {
    }

    static String of(String id, String what) {
        if (id == null || id.isBlank()) {
            throw new CliFailure(CliFailure.USAGE, "the " + what + " id is empty");
        }
        return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
