/**
 * The load generator: scenarios ({@code FlowScenario}, {@code ConnectScenario}), the Netty WebSocket clients they
 * drive, the dialects of the targets, and the report. Each connection's state is touched on its channel's event
 * loop; counters shared with the scenario thread are {@code LongAdder}s, histograms are HdrHistogram
 * {@code Recorder}s, and per-message send times sit in an {@code AtomicLongArray}.
 */
package dev.improv.load;
