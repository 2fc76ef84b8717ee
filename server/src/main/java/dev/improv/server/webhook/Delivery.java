package dev.improv.server.webhook;

/**
 * One event for one endpoint, as the outbox keeps it until the endpoint answered 2xx.
 *
 * @param eventId     the {@code webhook-id}: the same on every retry and after a restart, for the receiver's dedupe
 * @param createdAtMs when the event was put in the outbox (for the oldest-pending-age metric)
 * @param body        the JSON body, exactly as signed and sent
 */
record Delivery(String eventId, String endpointId, long createdAtMs, byte[] body) {
    String key() {
        return endpointId + " " + eventId;
    }
}
