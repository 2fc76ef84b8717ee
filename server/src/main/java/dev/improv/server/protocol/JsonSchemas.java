package dev.improv.server.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;

/**
 * A JSON Schema (draft 2020-12) per message, made from the record: its components (Java type to JSON type, enums
 * to their wire names, nested records inline) and, for client messages, the {@link FieldRules}. Unknown fields
 * are allowed, as the protocol says. Server messages list their primitive fields as required; the others are
 * left out of the JSON when null.
 */
public final class JsonSchemas {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String BASE = "https://improv.dev/schemas/";

    private JsonSchemas() {
    }

    /** The schema of message {@code type} of this kind. */
    public static ObjectNode of(MessageKind kind, String type) {
        Class<?> record = kind.types().get(type);
        if (record == null) {
            throw new IllegalArgumentException("no " + kind + " message '" + type + "'");
        }
        ObjectNode schema = NODES.objectNode();
        schema.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        schema.put("$id", BASE + path(kind, type));
        schema.put("title", type + " (" + kind.folder() + ")");
        schema.setAll(objectSchema(record, type, FieldRules.of(kind, type), !kind.fromClient()));
        return schema;
    }

    /** Path of the schema file under {@code docs/schemas/}. */
    public static String path(MessageKind kind, String type) {
        return kind.folder() + "/" + type + ".json";
    }

    private static ObjectNode objectSchema(Class<?> record, String typeName, Map<String, FieldRules.Field> rules,
                                           boolean primitivesRequired) {
        ObjectNode schema = NODES.objectNode();
        schema.put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        ArrayNode required = NODES.arrayNode();
        if (typeName != null) {
            properties.putObject("type").put("const", typeName);
            required.add("type");
        }
        for (RecordComponent c : record.getRecordComponents()) {
            ObjectNode property = valueSchema(c.getGenericType());
            FieldRules.Field rule = rules.get(c.getName());
            if (rule != null) {
                for (Map.Entry<String, Object> k : rule.keywords().entrySet()) {
                    property.set(k.getKey(), ProtocolCodec.mapper().valueToTree(k.getValue()));
                }
            }
            properties.set(c.getName(), property);
            boolean isRequired = rule != null ? rule.required() : primitivesRequired && c.getType().isPrimitive();
            if (isRequired) {
                required.add(c.getName());
            }
        }
        schema.set("required", required);
        return schema;
    }

    private static ObjectNode valueSchema(Type type) {
        if (type instanceof ParameterizedType p && p.getRawType() == List.class) {
            ObjectNode array = NODES.objectNode().put("type", "array");
            array.set("items", valueSchema(p.getActualTypeArguments()[0]));
            return array;
        }
        if (type instanceof ParameterizedType p && p.getRawType() == Map.class) {
            ObjectNode map = NODES.objectNode().put("type", "object");
            map.set("additionalProperties", valueSchema(p.getActualTypeArguments()[1]));
            return map;
        }
        Class<?> c = (Class<?>) type;
        if (c == String.class) {
            return NODES.objectNode().put("type", "string");
        }
        if (c == int.class || c == long.class || c == Integer.class || c == Long.class) {
            return NODES.objectNode().put("type", "integer");
        }
        if (c == double.class || c == Double.class) {
            return NODES.objectNode().put("type", "number");
        }
        if (c == boolean.class || c == Boolean.class) {
            return NODES.objectNode().put("type", "boolean");
        }
        if (JsonNode.class.isAssignableFrom(c) || c == RawJson.class) {
            return NODES.objectNode().put("type", "object");
        }
        if (c.isEnum()) {
            ObjectNode e = NODES.objectNode().put("type", "string");
            ArrayNode values = e.putArray("enum");
            for (String v : wireNames(c)) {
                values.add(v);
            }
            return e;
        }
        if (c.isRecord()) {
            String nestedType = null;
            for (MessageKind k : MessageKind.values()) {
                for (Map.Entry<String, Class<?>> t : k.types().entrySet()) {
                    if (t.getValue() == c) {
                        nestedType = t.getKey();
                    }
                }
            }
            return objectSchema(c, nestedType, Map.of(), true);
        }
        throw new IllegalStateException("no JSON Schema mapping for " + c);
    }

    /** An enum's constants as they appear on the wire (their {@code @JsonValue}). */
    public static List<String> wireNames(Class<?> enumType) {
        return java.util.Arrays.stream(enumType.getEnumConstants())
                .map(v -> ProtocolCodec.mapper().valueToTree(v).asText())
                .toList();
    }
}
