/**
 * The session log: {@link dev.improv.server.eventlog.SessionLogWriter} appends every room event, as the exact
 * bytes members received, to {@code <dataDir>/sessions/<sessionId>/events.jsonl} and keeps {@code meta.json}
 * beside it; {@link dev.improv.server.eventlog.SessionLogReader} checks and reads logs back;
 * {@link dev.improv.server.eventlog.DatasetBuilder} turns a log into the training view.
 *
 * <p>Threads: one writer thread ({@code session-log-writer}) owns every log file. Room threads only offer to a
 * lock-free queue and never block; the writer tells rooms what became durable through their
 * {@link dev.improv.server.room.SessionJournal.DurabilityListener}, which hops back to the room's own thread.
 * Reading and exporting are blocking file I/O and run on their callers' own threads (the export executor, the
 * command line), never on a Netty I/O thread. Nothing here imports Netty, HTTP or transport: the export routes
 * are {@code http.SessionRoutes}, wired in by {@code app.SessionLogFeature}.
 */
package dev.improv.server.eventlog;
