package dev.improv.server.dataset;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A W3C PROV document in PROV-JSON (https://www.w3.org/submissions/prov-json/): entities, agents, activities and
 * the relations between them, each relation under a blank-node id. The export builds the chain performer → consent
 * → session → prompt → take → file with it. One thread.
 */
final class Prov {
    private final Map<String, Object> entity = new LinkedHashMap<>();
    private final Map<String, Object> agent = new LinkedHashMap<>();
    private final Map<String, Map<String, Object>> activity = new LinkedHashMap<>();
    private final Map<String, Map<String, Object>> relations = new LinkedHashMap<>();
    private int next;

    void entity(String id, Map<String, Object> attributes) {
        entity.putIfAbsent(id, attributes);
    }

    void agent(String id, Map<String, Object> attributes) {
        agent.putIfAbsent(id, attributes);
    }

    void activity(String id, Map<String, Object> attributes) {
        activity.putIfAbsent(id, new LinkedHashMap<>(attributes));
    }

    void activityEnd(String id, String endTime) {
        activity.get(id).put("prov:endTime", endTime);
    }

    /** A relation such as {@code wasDerivedFrom} with its PROV-JSON members. */
    void relation(String kind, Map<String, Object> members) {
        relations.computeIfAbsent(kind, k -> new LinkedHashMap<>()).put("_:r" + (++next), members);
    }

    Map<String, Object> document() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("prefix", Map.of("improv", "urn:improv:", "prov", "http://www.w3.org/ns/prov#"));
        doc.put("agent", agent);
        doc.put("entity", entity);
        doc.put("activity", activity);
        doc.putAll(relations);
        return doc;
    }
}
