package dev.improv.server.take;

import dev.improv.server.config.ServerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The meters of local takes: chunks stored (count, bytes, write + fsync time), duplicates, refusals by code (the
 * {@link TakeRefusal} codes and the protocol's: a bounded set), takes opened and closed, and the disk in use
 * next to both quotas.
 */
final class TakeMetrics {
    private final MeterRegistry registry;
    private final Counter chunks;
    private final Counter bytes;
    private final Counter duplicates;
    private final Timer write;
    private final Counter opened;
    private final Counter closedComplete;
    private final Counter closedIncomplete;
    private final Map<String, Counter> refused = new ConcurrentHashMap<>();

    TakeMetrics(MeterRegistry registry, ServerConfig.TakeSettings settings, Supplier<Number> storedBytes) {
        this.registry = registry;
        chunks = Counter.builder("improv_take_chunks_stored").description("Take chunks written durably")
                .register(registry);
        bytes = Counter.builder("improv_take_chunk_bytes_stored").description("PCM bytes of take chunks written")
                .register(registry);
        duplicates = Counter.builder("improv_take_chunks_duplicate")
                .description("Take chunk uploads that were already stored (answered, nothing written)")
                .register(registry);
        write = Timer.builder("improv_take_chunk_write").description("Writing one take chunk: files, fsync, rename")
                .publishPercentiles(0.5, 0.99).register(registry);
        opened = Counter.builder("improv_takes_opened").description("Takes begun (scenes started)").register(registry);
        closedComplete = Counter.builder("improv_takes_closed").tag("complete", "true")
                .description("Takes assembled, by whether every chunk arrived").register(registry);
        closedIncomplete = Counter.builder("improv_takes_closed").tag("complete", "false")
                .description("Takes assembled, by whether every chunk arrived").register(registry);
        Gauge.builder("improv_takes_disk_bytes", storedBytes)
                .description("Bytes of take chunks and assembled tracks under the data directory").register(registry);
        Gauge.builder("improv_takes_disk_quota_bytes", settings::maxServerBytes)
                .description("The server's quota for takes (--takes-disk-quota-bytes)").register(registry);
        Gauge.builder("improv_take_quota_bytes", settings::maxTakeBytes)
                .description("The quota of one take (--take-quota-bytes)").register(registry);
    }

    void chunkStored(int byteCount, long nanos) {
        chunks.increment();
        bytes.increment(byteCount);
        write.record(nanos, TimeUnit.NANOSECONDS);
    }

    void duplicate() {
        duplicates.increment();
    }

    void refused(String code) {
        refused.computeIfAbsent(code, c -> Counter.builder("improv_take_chunks_refused").tag("code", c)
                .description("Take chunk uploads refused, by error code").register(registry)).increment();
    }

    void takeOpened() {
        opened.increment();
    }

    void takeClosed(boolean complete) {
        (complete ? closedComplete : closedIncomplete).increment();
    }
}
