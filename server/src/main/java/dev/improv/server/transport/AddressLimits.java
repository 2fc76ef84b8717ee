package dev.improv.server.transport;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.improv.server.config.ServerConfig;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one IP address and one participant may do, server-wide: open connections at once, WebSocket upgrades per
 * second, joins (reconnects) per minute. Open connections are counted exactly (an entry lives while its address
 * has a connection, so the map is bounded by the open-file limit); the rates live in bounded Caffeine caches
 * whose entries expire once idle long enough for their bucket to be full again (forgetting them then changes
 * nothing). Thread-safe: used from every I/O thread.
 */
final class AddressLimits {
    private final int maxConnections;
    private final double upgradesPerSecond;
    private final int upgradeBurst;
    private final double joinsPerSecond;
    private final int joinBurst;
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();
    private final Cache<InetAddress, TokenBucket> upgrades;
    private final Cache<String, TokenBucket> joins;

    AddressLimits(ServerConfig.ClientLimits limits) {
        this.maxConnections = limits.maxConnectionsPerAddress();
        this.upgradesPerSecond = limits.upgradesPerSecondPerAddress();
        this.upgradeBurst = limits.upgradeBurstPerAddress();
        this.joinsPerSecond = limits.reconnectsPerMinute() / 60.0;
        this.joinBurst = limits.reconnectBurst();
        this.upgrades = Caffeine.newBuilder().maximumSize(limits.trackedAddresses())
                .expireAfterAccess(refillTime(upgradeBurst, upgradesPerSecond)).build();
        this.joins = Caffeine.newBuilder().maximumSize(limits.trackedAddresses())
                .expireAfterAccess(refillTime(joinBurst, joinsPerSecond)).build();
    }

    private static Duration refillTime(int burst, double perSecond) {
        return perSecond <= 0 ? Duration.ofSeconds(1) : Duration.ofMillis((long) Math.ceil(burst * 1000 / perSecond) + 1000);
    }

    /** Counts a new connection from {@code address}; false (and not counted) when the address has too many. */
    boolean tryOpen(InetAddress address) {
        if (maxConnections == 0) {
            return true;
        }
        boolean[] admitted = {false};
        open.compute(address, (a, n) -> {
            int count = n == null ? 0 : n;
            if (count >= maxConnections) {
                return n;
            }
            admitted[0] = true;
            return count + 1;
        });
        return admitted[0];
    }

    /** A connection counted by {@link #tryOpen} closed. */
    void closed(InetAddress address) {
        if (maxConnections != 0) {
            open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
        }
    }

    /** Takes one WebSocket upgrade from the address's budget; false when it is used up. */
    boolean tryUpgrade(InetAddress address) {
        return upgradesPerSecond <= 0 || take(upgrades, address, upgradesPerSecond, upgradeBurst);
    }

    /** Takes one join from the participant's budget ({@code key}: room or pool, and participant id). */
    boolean tryJoin(String key) {
        return joinsPerSecond <= 0 || take(joins, key, joinsPerSecond, joinBurst);
    }

    private static <K> boolean take(Cache<K, TokenBucket> cache, K key, double perSecond, int burst) {
        long now = System.nanoTime();
        TokenBucket bucket = cache.get(key, k -> new TokenBucket(perSecond, burst, now));
        synchronized (bucket) {
            return bucket.tryTake(now);
        }
    }

    /** Addresses with open connections (for tests). */
    int trackedOpenAddresses() {
        return open.size();
    }
}
