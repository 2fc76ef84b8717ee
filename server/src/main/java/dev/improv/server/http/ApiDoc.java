package dev.improv.server.http;

import java.util.ArrayList;
import java.util.List;

/**
 * What a route takes and answers, kept next to the route's handler and read by {@link OpenApiDocument}: a summary,
 * the request body's record, query parameters and the answers (status, meaning, body type). Bodies are named by
 * the record the handler actually writes, so the description and the code cannot say different things about a
 * field; answers every route of a kind has (401 of the admin middleware, 400/415 of a JSON body) are added by the
 * generator, which knows the middleware and the body decoding.
 *
 * @param requiredFields fields of the request body that must be present (the record checks them in its
 *                       constructor; OpenApiDocumentTest checks that an empty body is refused naming one of them)
 * @param rawBody        the content type of a request body that is not JSON (bytes the handler reads itself, e.g.
 *                       a take's PCM chunk), or null
 */
public record ApiDoc(String summary, String description, Class<?> requestBody, List<String> requiredFields,
                     List<Query> query, List<Answer> answers, String rawBody) {
    /** A query parameter. */
    public record Query(String name, boolean required, String description) {
    }

    /** One answer of the route. */
    public record Answer(int status, String description, Body body) {
    }

    /** The body of an answer. */
    public sealed interface Body {
    }

    /** JSON: one of these types as the shared mapper writes it (a record, usually exactly one). */
    public record Json(List<Class<?>> oneOf) implements Body {
        public Json {
            oneOf = List.copyOf(oneOf);
        }
    }

    /** The API's error shape ({@link ApiError}), the same as the WebSocket protocol's {@code error}. */
    public record Failure() implements Body {
    }

    /** JSON lines ({@code application/x-ndjson}), each a room event (docs/schemas/room-event/). */
    public record RoomEventLines() implements Body {
    }

    /** Text of this content type (the Prometheus exposition). */
    public record Text(String contentType) implements Body {
    }

    /** Any JSON object (the OpenAPI document itself). */
    public record AnyObject() implements Body {
    }

    public ApiDoc {
        requiredFields = List.copyOf(requiredFields);
        query = List.copyOf(query);
        answers = List.copyOf(answers);
    }

    public static ApiDoc of(String summary) {
        return new ApiDoc(summary, null, null, List.of(), List.of(), List.of(), null);
    }

    /** A longer description (CommonMark). */
    public ApiDoc describe(String text) {
        return new ApiDoc(summary, text, requestBody, requiredFields, query, answers, rawBody);
    }

    /** The JSON request body is this record (an empty body reads as {@code {}}). */
    public ApiDoc body(Class<?> record, String... required) {
        return new ApiDoc(summary, description, record, List.of(required), query, answers, rawBody);
    }

    /** The request body is bytes of this content type, not JSON (the route handler checks them itself). */
    public ApiDoc rawBody(String contentType) {
        return new ApiDoc(summary, description, requestBody, requiredFields, query, answers, contentType);
    }

    public ApiDoc query(String name, boolean required, String text) {
        List<Query> q = new ArrayList<>(query);
        q.add(new Query(name, required, text));
        return new ApiDoc(summary, description, requestBody, requiredFields, q, answers, rawBody);
    }

    /** An answer with a JSON body of one of {@code types}. */
    public ApiDoc answers(int status, String text, Class<?>... types) {
        return with(new Answer(status, text, new Json(List.of(types))));
    }

    /** An answer with the error shape. */
    public ApiDoc fails(int status, String text) {
        return with(new Answer(status, text, new Failure()));
    }

    public ApiDoc answers(int status, String text, Body body) {
        return with(new Answer(status, text, body));
    }

    /** What several routes share (their common answers, say), applied to this one. */
    public ApiDoc and(java.util.function.UnaryOperator<ApiDoc> shared) {
        return shared.apply(this);
    }

    private ApiDoc with(Answer answer) {
        for (Answer a : answers) {
            if (a.status() == answer.status()) {
                throw new IllegalArgumentException("two answers with status " + answer.status() + " for " + summary);
            }
        }
        List<Answer> a = new ArrayList<>(answers);
        a.add(answer);
        return new ApiDoc(summary, description, requestBody, requiredFields, query, a, rawBody);
    }
}
