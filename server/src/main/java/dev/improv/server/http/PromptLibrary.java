package dev.improv.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.auth.JoinClaims;
import dev.improv.server.auth.TokenException;
import dev.improv.server.auth.TokenService;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code GET /api/prompts?token=…}: the operator's prompt library (categories of prompts) for moderators. Read
 * and checked once at start-up; without a library file the route answers 404 and pages use their built-in one.
 */
public final class PromptLibrary implements HttpApiHandler.ApiExtension {
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

    @Override
    public boolean handle(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri, boolean admin) {
        if (!uri.path().equals("/api/prompts")) {
            return false;
        }
        if (json == null) {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.NOT_FOUND, "no_library",
                    "this server has no prompt library configured (--prompt-library)");
            return true;
        }
        if (!admin) {
            List<String> token = uri.parameters().get("token");
            try {
                JoinClaims claims = tokens.verify(token == null ? null : token.get(0), dev.improv.server.auth.Scope.PROMPTS);
                if (claims.role() != Role.MODERATOR) {
                    HttpResponses.sendError(ctx, request, HttpResponseStatus.FORBIDDEN, "not_authorized",
                            "the prompt library is for moderators");
                    return true;
                }
            } catch (TokenException e) {
                HttpResponses.sendError(ctx, request, HttpResponseStatus.valueOf(e.httpStatus()), e.code().name(),
                        e.getMessage());
                return true;
            }
        }
        HttpResponses.send(ctx, request, HttpResponseStatus.OK, "application/json; charset=utf-8", json);
        return true;
    }
}
