package dev.improv.server.dataset;

import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What to export. Empty {@code sessions} / {@code pools} mean every closed session; {@code from} / {@code to}
 * (UTC dates, inclusive, either may be null) limit by session start; {@code scopes} are the uses the buyer is
 * licensing (default: training): a performer is in only when their consent allows all of them and they withdrew
 * none of them. {@code vendor} is the {@code V} part of the Seamless ids; {@code shardBytes} bounds a shard.
 */
public record ExportRequest(List<String> sessions, Set<String> pools, LocalDate from, LocalDate to,
                            Set<ConsentScope> scopes, String vendor, long shardBytes, List<String> languages,
                            String license) {
    public static final long DEFAULT_SHARD_BYTES = 1L << 30;
    public static final long MIN_SHARD_BYTES = 64 * 1024;
    private static final Pattern VENDOR = Pattern.compile("[A-Za-z0-9]{1,16}");
    private static final Pattern LANGUAGE = Pattern.compile("[a-z]{2,3}(-[A-Za-z0-9]{2,8})?");

    public ExportRequest {
        sessions = sessions == null ? List.of() : List.copyOf(sessions);
        pools = pools == null ? Set.of() : Set.copyOf(pools);
        scopes = scopes == null || scopes.isEmpty() ? Set.of(ConsentScope.TRAINING) : Set.copyOf(scopes);
        vendor = vendor == null ? "00" : vendor;
        languages = languages == null ? List.of() : List.copyOf(languages);
        license = license == null ? "other" : license;
        if (!VENDOR.matcher(vendor).matches()) {
            throw new ExportException("vendor", "1 to 16 letters or digits (it becomes the V part of every id)");
        }
        if (shardBytes == 0) {
            shardBytes = DEFAULT_SHARD_BYTES;
        }
        if (shardBytes < MIN_SHARD_BYTES) {
            throw new ExportException("shardBytes", "at least " + MIN_SHARD_BYTES + " bytes");
        }
        if (from != null && to != null && from.isAfter(to)) {
            throw new ExportException("from", "the date range is empty: from " + from + " is after to " + to);
        }
        for (String l : languages) {
            if (!LANGUAGE.matcher(l).matches()) {
                throw new ExportException("languages", "'" + l + "' is not a BCP-47 language code such as en or fr");
            }
        }
    }

    /** Every closed session, for training. */
    public static ExportRequest all() {
        return new ExportRequest(null, null, null, null, null, null, 0, null, null);
    }

    Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sessions", sessions);
        m.put("pools", pools.stream().sorted().toList());
        m.put("from", from == null ? null : from.toString());
        m.put("to", to == null ? null : to.toString());
        m.put("scopes", scopes.stream().sorted().map(ConsentScope::wireName).toList());
        m.put("vendor", vendor);
        m.put("shardBytes", shardBytes);
        m.put("languages", languages);
        m.put("license", license);
        return m;
    }
}
