package dev.improv.server.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.protocol.JsonSchemas;
import dev.improv.server.protocol.MessageKind;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.RawJson;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The OpenAPI 3.1 description of the admin API, generated from the route table: every {@link Route.Access#ADMIN}
 * and {@link Route.Access#OPERATOR} route (and any other route that carries an {@link ApiDoc}) with its path
 * parameters, its request record and its answers. Schemas of records come from the shared mapper's own view of
 * them (the properties Jackson writes, with their Java types), so a field added to an answer's record shows up
 * here; room events are the protocol module's JSON Schemas (docs/schemas/room-event/). A described route without
 * an {@link ApiDoc} is a programming error: generating fails, naming it.
 *
 * <p>Served at {@code /api/openapi.json} from the live route table and committed as {@code docs/openapi.json}
 * (OpenApiArtifactsTest: the committed file is what a server with every feature serves).
 */
public final class OpenApiDocument {
    /** The version of the admin API (not of the server): bumped when an answer changes incompatibly. */
    public static final String API_VERSION = "1.0.0";
    /** Repository path of the committed document. */
    public static final String PATH = "docs/openapi.json";
    public static final String ROUTE = "/api/openapi.json";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String ERROR = "Error";
    private static final String ROOM_EVENT = "RoomEvent";
    private static final List<HttpMethod> METHOD_ORDER = List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT,
            HttpMethod.PATCH, HttpMethod.DELETE);

    private final ObjectMapper mapper = ProtocolCodec.mapper();
    private final Map<String, ObjectNode> components = new TreeMap<>();
    private final Map<String, Class<?>> componentTypes = new HashMap<>();

    private OpenApiDocument() {
    }

    /** Whether the OpenAPI description covers this route. */
    public static boolean describes(Route route) {
        return route.access() != Route.Access.PUBLIC || route.doc() != null;
    }

    /** The document for these routes. */
    public static ObjectNode generate(Collection<Route> routes) {
        return new OpenApiDocument().build(routes);
    }

    /** The document as the committed file's text (two-space indent, a final newline). */
    public static String text(Collection<Route> routes) {
        DefaultPrettyPrinter pretty = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n")).withoutSpacesInObjectEntries();
        try {
            return ProtocolCodec.mapper().writer(pretty).writeValueAsString(generate(routes)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private ObjectNode build(Collection<Route> routes) {
        ObjectNode doc = NODES.objectNode();
        doc.put("openapi", "3.1.0");
        ObjectNode info = doc.putObject("info");
        info.put("title", "improv room server: admin API");
        info.put("version", API_VERSION);
        info.put("description", "Rooms, join links, lobby pools, session logs, token keys and webhook endpoints "
                + "of one server. Admin routes need the admin key as `Authorization: Bearer <key>`; they are served "
                + "on the admin listener when the server has one (`--admin-port`). Errors have the WebSocket "
                + "protocol's shape (docs/protocol.md). Generated from the server's route table: do not edit.");
        Map<String, ObjectNode> paths = new TreeMap<>();
        List<Route> sorted = new ArrayList<>(routes);
        sorted.sort(Comparator.comparing(Route::pattern).thenComparing(r -> METHOD_ORDER.indexOf(r.method())));
        for (Route route : sorted) {
            if (!describes(route)) {
                continue;
            }
            if (route.doc() == null) {
                throw new IllegalStateException("route " + route.method() + " " + route.pattern()
                        + " has no ApiDoc: describe it (Route.documented) so that the OpenAPI document covers it");
            }
            paths.computeIfAbsent(route.pattern(), p -> NODES.objectNode())
                    .set(route.method().name().toLowerCase(java.util.Locale.ROOT), operation(route));
        }
        ObjectNode pathsNode = doc.putObject("paths");
        paths.forEach(pathsNode::set);
        ObjectNode comps = doc.putObject("components");
        ObjectNode schemas = comps.putObject("schemas");
        components.forEach(schemas::set);
        ObjectNode bearer = comps.putObject("securitySchemes").putObject("adminKey");
        bearer.put("type", "http");
        bearer.put("scheme", "bearer");
        bearer.put("description", "The admin key (`<data-dir>/admin-key`, `--admin-key-file` or IMPROV_ADMIN_KEY); "
                + "the header `X-Admin-Key: <key>` works as well.");
        return doc;
    }

    private ObjectNode operation(Route route) {
        ApiDoc doc = route.doc();
        ObjectNode op = NODES.objectNode();
        op.putArray("tags").add(tag(route.pattern()));
        op.put("summary", doc.summary());
        if (doc.description() != null) {
            op.put("description", doc.description());
        }
        op.put("operationId", operationId(route));
        ArrayNode params = NODES.arrayNode();
        for (String segment : route.pattern().split("/")) {
            if (segment.startsWith("{") && segment.endsWith("}")) {
                ObjectNode p = params.addObject();
                p.put("name", segment.substring(1, segment.length() - 1));
                p.put("in", "path");
                p.put("required", true);
                p.putObject("schema").put("type", "string");
            }
        }
        for (ApiDoc.Query q : doc.query()) {
            ObjectNode p = params.addObject();
            p.put("name", q.name());
            p.put("in", "query");
            p.put("required", q.required());
            p.put("description", q.description());
            p.putObject("schema").put("type", "string");
        }
        if (!params.isEmpty()) {
            op.set("parameters", params);
        }
        if (doc.requestBody() != null) {
            ObjectNode body = op.putObject("requestBody");
            body.put("required", false);
            body.put("description", "JSON; an empty body is `{}`. Unknown fields, text for numbers and fractions "
                    + "for whole numbers are refused (400, naming the field).");
            body.putObject("content").putObject("application/json").set("schema", requestSchema(doc));
        }
        if (doc.rawBody() != null) {
            ObjectNode body = op.putObject("requestBody");
            body.put("required", true);
            body.putObject("content").putObject(doc.rawBody()).putObject("schema").put("type", "string")
                    .put("contentEncoding", "binary");
        }
        if (route.access() == Route.Access.ADMIN) {
            op.putArray("security").addObject().putArray("adminKey");
        }
        Map<Integer, ApiDoc.Answer> answers = new TreeMap<>();
        for (ApiDoc.Answer a : doc.answers()) {
            answers.put(a.status(), a);
        }
        if (doc.requestBody() != null) {
            answers.putIfAbsent(400, new ApiDoc.Answer(400, "a field of the body is missing or wrong: `field` "
                    + "names it", new ApiDoc.Failure()));
            answers.putIfAbsent(413, new ApiDoc.Answer(413, "the body is larger than the server takes "
                    + "(`MESSAGE_TOO_LARGE`, --max-message-bytes)", new ApiDoc.Failure()));
            answers.putIfAbsent(415, new ApiDoc.Answer(415, "the body is not `application/json`",
                    new ApiDoc.Failure()));
        }
        if (doc.rawBody() != null) {
            answers.putIfAbsent(413, new ApiDoc.Answer(413, "the body is larger than the server takes "
                    + "(`MESSAGE_TOO_LARGE`)", new ApiDoc.Failure()));
            answers.putIfAbsent(415, new ApiDoc.Answer(415, "the body is not `" + doc.rawBody() + "`",
                    new ApiDoc.Failure()));
        }
        if (route.access() == Route.Access.ADMIN) {
            answers.putIfAbsent(401, new ApiDoc.Answer(401, "no admin key, or a wrong one", new ApiDoc.Failure()));
        }
        ObjectNode responses = op.putObject("responses");
        for (ApiDoc.Answer a : answers.values()) {
            responses.set(Integer.toString(a.status()), response(a));
        }
        return op;
    }

    private ObjectNode response(ApiDoc.Answer answer) {
        ObjectNode r = NODES.objectNode();
        r.put("description", answer.description() != null ? answer.description()
                : HttpResponseStatus.valueOf(answer.status()).reasonPhrase());
        ObjectNode content = r.putObject("content");
        ApiDoc.Body body = answer.body();
        if (body instanceof ApiDoc.Json json) {
            ObjectNode schema;
            if (json.oneOf().size() == 1) {
                schema = schemaOf(mapper.constructType(json.oneOf().get(0)));
            } else {
                schema = NODES.objectNode();
                ArrayNode any = schema.putArray("anyOf");
                for (Class<?> c : json.oneOf()) {
                    any.add(schemaOf(mapper.constructType(c)));
                }
            }
            content.putObject("application/json").set("schema", schema);
        } else if (body instanceof ApiDoc.Failure) {
            content.putObject("application/json").set("schema", errorRef());
        } else if (body instanceof ApiDoc.AnyObject) {
            content.putObject("application/json").putObject("schema").put("type", "object");
        } else if (body instanceof ApiDoc.Text t) {
            content.putObject(t.contentType().split(";", 2)[0].trim()).putObject("schema").put("type", "string")
                    .put("description", "`Content-Type: " + t.contentType() + "`");
        } else if (body instanceof ApiDoc.RoomEventLines) {
            ObjectNode media = content.putObject("application/x-ndjson");
            media.putObject("schema").put("type", "string").put("description", "one room event per line, "
                    + "in seq order; each line is described by `x-itemSchema` (OpenAPI 3.2's `itemSchema`)");
            media.set("x-itemSchema", roomEventRef());
        } else {
            throw new IllegalStateException("no OpenAPI mapping for " + body);
        }
        return r;
    }

    /** The request record's schema: every field optional unless the doc names it, no other fields. */
    private ObjectNode requestSchema(ApiDoc doc) {
        String name = componentName(doc.requestBody());
        if (!components.containsKey(name)) {
            ObjectNode schema = NODES.objectNode();
            components.put(name, schema); // reserved before recursing
            schema.put("type", "object");
            ObjectNode properties = schema.putObject("properties");
            BeanDescription bean = mapper.getDeserializationConfig().introspect(
                    mapper.constructType(doc.requestBody()));
            for (BeanPropertyDefinition p : bean.findProperties()) {
                if (!p.couldDeserialize()) {
                    continue;
                }
                ObjectNode value = valueSchema(p.getPrimaryType());
                properties.set(p.getName(), p.getPrimaryType().isPrimitive() ? value : nullable(value));
            }
            ArrayNode required = schema.putArray("required");
            doc.requiredFields().forEach(required::add);
            schema.put("additionalProperties", false);
        }
        return ref(name);
    }

    /** Schema of a value of {@code type}: inline for scalars and containers, a component for a record or bean. */
    private ObjectNode schemaOf(JavaType type) {
        return valueSchema(type);
    }

    private ObjectNode valueSchema(JavaType type) {
        Class<?> c = type.getRawClass();
        if (type.isArrayType() || type.isCollectionLikeType()) {
            ObjectNode array = NODES.objectNode().put("type", "array");
            array.set("items", valueSchema(type.getContentType()));
            return array;
        }
        if (type.isMapLikeType()) {
            ObjectNode map = NODES.objectNode().put("type", "object");
            Class<?> key = type.getKeyType().getRawClass();
            if (key.isEnum()) {
                ArrayNode names = map.putObject("propertyNames").putArray("enum");
                JsonSchemas.wireNames(key).forEach(names::add);
            }
            map.set("additionalProperties", valueSchema(type.getContentType()));
            return map;
        }
        if (c == String.class || c == char.class || c == Character.class) {
            return NODES.objectNode().put("type", "string");
        }
        if (c == int.class || c == long.class || c == short.class || c == Integer.class || c == Long.class
                || c == Short.class) {
            return NODES.objectNode().put("type", "integer");
        }
        if (c == double.class || c == float.class || c == Double.class || c == Float.class) {
            return NODES.objectNode().put("type", "number");
        }
        if (c == boolean.class || c == Boolean.class) {
            return NODES.objectNode().put("type", "boolean");
        }
        if (JsonNode.class.isAssignableFrom(c) || c == RawJson.class || c == Object.class) {
            return NODES.objectNode().put("description", "any JSON value");
        }
        if (c.isEnum()) {
            ObjectNode e = NODES.objectNode().put("type", "string");
            ArrayNode values = e.putArray("enum");
            JsonSchemas.wireNames(c).forEach(values::add);
            return e;
        }
        return ref(beanComponent(type));
    }

    /** Registers the component of a record (or bean) as Jackson writes it; every property is present. */
    private String beanComponent(JavaType type) {
        String name = componentName(type.getRawClass());
        if (components.containsKey(name)) {
            return name;
        }
        ObjectNode schema = NODES.objectNode();
        components.put(name, schema); // reserved before recursing: a record may contain itself
        schema.put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        ArrayNode required = NODES.arrayNode();
        BeanDescription bean = mapper.getSerializationConfig().introspect(type);
        JsonInclude.Value classInclusion = bean.findPropertyInclusion(JsonInclude.Value.empty());
        for (BeanPropertyDefinition p : bean.findProperties()) {
            if (!p.couldSerialize()) {
                continue;
            }
            JavaType pt = p.getPrimaryType();
            JsonInclude.Include inclusion = classInclusion.withOverrides(p.findInclusion()).getValueInclusion();
            boolean alwaysWritten = inclusion == JsonInclude.Include.USE_DEFAULTS
                    || inclusion == JsonInclude.Include.ALWAYS;
            ObjectNode value = valueSchema(pt);
            properties.set(p.getName(), pt.isPrimitive() || !alwaysWritten ? value : nullable(value));
            if (alwaysWritten) {
                required.add(p.getName());
            }
        }
        schema.set("required", required);
        return name;
    }

    private String componentName(Class<?> c) {
        String name = c.getEnclosingClass() == null || c.getEnclosingClass() == AdminAnswers.class
                ? c.getSimpleName() : c.getEnclosingClass().getSimpleName() + "." + c.getSimpleName();
        Class<?> before = componentTypes.putIfAbsent(name, c);
        if (before != null && before != c) {
            throw new IllegalStateException("two schemas named " + name + ": " + before + " and " + c);
        }
        return name;
    }

    private ObjectNode errorRef() {
        if (!components.containsKey(ERROR)) {
            ObjectNode schema = NODES.objectNode();
            schema.put("type", "object");
            schema.put("description", "An error answer, as the WebSocket protocol's `error` message: `code` is an "
                    + "error code of docs/protocol.md or an HTTP-only one, `field` the field to blame or null.");
            ObjectNode properties = schema.putObject("properties");
            properties.putObject("type").put("const", "error");
            ArrayNode required = schema.putArray("required").add("type");
            for (java.lang.reflect.RecordComponent rc : ApiError.class.getRecordComponents()) {
                ObjectNode text = NODES.objectNode().put("type", "string");
                properties.set(rc.getName(), rc.getName().equals("field") ? nullable(text) : text);
                required.add(rc.getName());
            }
            components.put(ERROR, schema);
        }
        return ref(ERROR);
    }

    /** {@code RoomEvent}: one of the protocol's room event schemas, each a component of its own. */
    private ObjectNode roomEventRef() {
        if (!components.containsKey(ROOM_EVENT)) {
            ObjectNode union = NODES.objectNode();
            union.put("description", "A room event as members receive it and the session log stores it; the "
                    + "schemas are docs/schemas/room-event/, generated from the protocol records.");
            ArrayNode oneOf = union.putArray("oneOf");
            for (String type : MessageKind.ROOM_EVENT.types().keySet()) {
                ObjectNode schema = JsonSchemas.of(MessageKind.ROOM_EVENT, type);
                schema.remove("$schema"); // the document's dialect (JSON Schema 2020-12) applies
                schema.remove("$id"); // a component is addressed by its place in this document
                String name = ROOM_EVENT + "." + type;
                components.put(name, schema);
                oneOf.add(ref(name));
            }
            components.put(ROOM_EVENT, union);
        }
        return ref(ROOM_EVENT);
    }

    private static ObjectNode ref(String component) {
        return NODES.objectNode().put("$ref", "#/components/schemas/" + component);
    }

    private static ObjectNode nullable(ObjectNode schema) {
        if (schema.has("type") && schema.get("type").isTextual() && !schema.has("enum")) {
            ObjectNode copy = schema.deepCopy();
            copy.putArray("type").add(schema.get("type").asText()).add("null");
            return copy;
        }
        if (schema.has("type") || schema.has("$ref")) {
            ObjectNode any = NODES.objectNode();
            any.putArray("anyOf").add(schema).addObject().put("type", "null");
            return any;
        }
        return schema; // any JSON value: null included
    }

    private static String tag(String pattern) {
        String[] s = pattern.split("/");
        return s.length > 2 && s[1].equals("api") && !s[2].equals("openapi.json") ? s[2] : "server";
    }

    /** {@code GET /api/rooms/{id}/links} → {@code getRoomsIdLinks}: unique because method + pattern are. */
    private static String operationId(Route route) {
        StringBuilder id = new StringBuilder(route.method().name().toLowerCase(java.util.Locale.ROOT));
        for (String segment : route.pattern().split("[/.{}-]")) {
            if (segment.isEmpty() || segment.equals("api")) {
                continue;
            }
            id.append(Character.toUpperCase(segment.charAt(0))).append(segment.substring(1));
        }
        return id.toString();
    }
}
