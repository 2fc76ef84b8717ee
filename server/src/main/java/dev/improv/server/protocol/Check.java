package dev.improv.server.protocol;

/** Field checks used by the record constructors; each failure names the field and says why. */
final class Check {
    private Check() {
    }

    static <T> T required(T value, String field) {
        if (value == null) {
            throw new ProtocolViolation(ErrorCode.MISSING_FIELD, field, "'" + field + "' is required");
        }
        return value;
    }

    static String text(String value, String field, int maxChars) {
        required(value, field);
        wellFormed(value, field);
        if (value.isBlank()) {
            throw new ProtocolViolation(ErrorCode.INVALID_FIELD, field, "'" + field + "' must not be empty");
        }
        if (value.length() > maxChars) {
            throw new ProtocolViolation(ErrorCode.INVALID_FIELD, field,
                    "'" + field + "' is longer than " + maxChars + " characters");
        }
        return value;
    }

    static String optionalText(String value, String field, int maxChars) {
        return value == null ? null : text(value, field, maxChars);
    }

    static String clientMessageId(String cid) {
        if (cid != null && (cid.isEmpty() || cid.length() > 64)) {
            throw new ProtocolViolation(ErrorCode.INVALID_FIELD, "cid", "'cid' must be 1 to 64 characters");
        }
        if (cid != null) {
            wellFormed(cid, "cid");
        }
        return cid;
    }

    /**
     * No unpaired surrogate ({@code "\ud800"}): it cannot be encoded as UTF-8, so the text sent back (an ack's cid,
     * a relayed prompt) would not be the text received. Found by the decoder fuzz test's round trip.
     */
    private static void wellFormed(String value, String field) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new ProtocolViolation(ErrorCode.INVALID_FIELD, field,
                        "'" + field + "' holds an unpaired surrogate (not valid Unicode)");
            }
        }
    }

    /**
     * Every number inside a JSON value is finite: {@code 1e400} reads as infinity, which JSON cannot carry, and was
     * relayed to the room (and logged) as the text {@code "Infinity"}.
     */
    static void finiteNumbers(com.fasterxml.jackson.databind.JsonNode value, String field) {
        if (value == null) {
            return;
        }
        java.util.ArrayDeque<com.fasterxml.jackson.databind.JsonNode> todo = new java.util.ArrayDeque<>();
        todo.add(value);
        while (!todo.isEmpty()) {
            com.fasterxml.jackson.databind.JsonNode n = todo.poll();
            if (n.isFloatingPointNumber() && !Double.isFinite(n.doubleValue())) {
                throw new ProtocolViolation(ErrorCode.INVALID_FIELD, field,
                        "'" + field + "' holds a number that is not finite");
            }
            n.forEach(todo::add);
        }
    }

    /** The largest integer a JavaScript number holds exactly; also keeps sums of two timestamps from overflowing. */
    static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

    /** A positive whole number up to {@link #MAX_SAFE_INTEGER} (timestamps in microseconds: until the year 2255). */
    static long positive(Long value, String field) {
        required(value, field);
        if (value <= 0 || value > MAX_SAFE_INTEGER) {
            throw new ProtocolViolation(ErrorCode.INVALID_FIELD, field,
                    "'" + field + "' must be a whole number from 1 to " + MAX_SAFE_INTEGER);
        }
        return value;
    }
}
