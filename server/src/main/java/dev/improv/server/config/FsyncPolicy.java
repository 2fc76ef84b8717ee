package dev.improv.server.config;

/** When the session log writer forces written events to the disk. */
public enum FsyncPolicy {
    /** fsync at the end of every batch; an event is acknowledged only after that (the durability promise). */
    BATCH,
    /** fsync at most every N ms; events are acknowledged once written, a crash may lose the last interval. */
    INTERVAL,
    /** never fsync (the OS decides); events are acknowledged once written. For benchmarks and tests. */
    OFF
}
