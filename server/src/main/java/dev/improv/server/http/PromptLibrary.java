package dev.improv.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.auth.TokenService;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.ErrorCode;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code GET /api/prompts?token=…}: the operator's prompt library (categories of prompts) for moderators. Read
 * and checked once at start-up; without a library file the route answers 404 and pages use their built-in one.
 */
public final class PromptLibrary {
    private final TokenService tokens;
    private final byte[] json;

    private PromptLibrary(TokenService tokens, byte[] json) {
        this.tokens = tokens;
        this.json = json;
    }

    /**
     * Loads and validates the library file (blocking: start-up only).
     *
     * @throws IllegalArgumentException naming what is wrong with the file
     */
    public static PromptLibrary load(TokenService tokens, Path file) throws IOException {
        if (file == null) {
            return new PromptLibrary(tokens, null);
        }
        JsonNode root = ProtocolCodec.mapper().readTree(Files.readAllBytes(file));
        JsonNode categories = root == null ? null : root.path("categories");
        if (categories == null || !categories.isArray() || categories.isEmpty()) {
            throw new IllegalArgumentException(file + ": 'categories' must be a non-empty list");
        }
        for (JsonNode c : categories) {
            if (!c.path("name").isTextual() || !c.path("prompts").isArray()) {
                throw new IllegalArgumentException(file + ": every category needs a 'name' and a 'prompts' list");
            }
            for (JsonNode p : c.path("prompts")) {
                if (!p.isTextual() || p.asText().isBlank() || p.asText().length() > 2000) {
                    throw new IllegalArgumentException(file + ": prompts are texts of 1 to 2000 characters");
                }
            }
        }
        return new PromptLibrary(tokens, ProtocolCodec.mapper().writeValueAsBytes(root));
    }

    /**
     * {@code GET /api/prompts?token=…} for moderators (or with the admin key); 404 {@code NO_LIBRARY} when the
     * server has none, and the pages use their built-in one.
     */
    public List<Route> routes(AdminAuth admin) {
        return List.of(Route.get("/api/prompts", Route.Access.PUBLIC, ex -> {
            if (json == null) {
                ex.error(HttpResponseStatus.NOT_FOUND, new ApiError(ApiError.NO_LIBRARY, null,
                        "this server has no prompt library configured (--prompt-library)"));
                return;
            }
            if (!admin.isAdmin(ex)) {
                if (ex.joinToken(tokens, dev.improv.server.auth.Scope.PROMPTS).role() != Role.MODERATOR) {
                    ex.error(HttpResponseStatus.FORBIDDEN, ApiError.of(ErrorCode.NOT_AUTHORIZED, "token",
                            "the prompt library is for moderators"));
                    return;
                }
            }
            ex.bytes(HttpResponseStatus.OK, "application/json; charset=utf-8", json);
        }));
    }
}
