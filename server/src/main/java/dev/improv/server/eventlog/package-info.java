/**
 * The node's write-ahead log and the session files derived from it: {@link dev.improv.server.eventlog.WriteAheadLog}
 * is the seam, {@link dev.improv.server.eventlog.FileWriteAheadLog} the local implementation (segments under
 * {@code <dataDir>/wal/}, CRC-checked frames, group commit, recovery fold on start, export of closed sessions to
 * {@code <dataDir>/sessions/<sessionId>/events.jsonl} and {@code meta.json});
 * {@link dev.improv.server.eventlog.SessionLogReader} checks and reads per-session files back;
 * {@link dev.improv.server.eventlog.DatasetBuilder} turns a log into the training view.
 *
 * <p>Threads: one writer thread ({@code wal-writer}) owns the segment being appended to. Room and pool threads only
 * offer to a lock-free queue and never block; the writer tells rooms what became durable through their
 * {@link dev.improv.server.room.SessionJournal.DurabilityListener}, which hops back to the room's own thread. One
 * reader thread ({@code wal-reader}) reads records back by position and writes exports. One checkpoint thread
 * ({@code wal-checkpoint}) folds the finished, durable part of the log into {@code <dataDir>/wal/checkpoint}
 * ({@link dev.improv.server.eventlog.WalCheckpoint}), which a start reads instead of the log before it. Reading,
 * checkpoints and exporting are
 * blocking file I/O and never run on a Netty I/O thread. Nothing here imports Netty, HTTP or transport: the export
 * routes are {@code http.SessionRoutes}, wired in by {@code app.SessionLogFeature}.
 */
package dev.improv.server.eventlog;
