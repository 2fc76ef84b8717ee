/**
 * Quality of takes, measured from the server timeline (speaking marks, mutes, presence, scenes): {@link TakeMeter}
 * keeps one take's measures incrementally, {@link QualityTimeline} feeds it from room events, {@link QcRules} turns
 * measures into conditions against {@link QcThresholds}. The same classes run live on a room's owner thread
 * ({@link LiveQuality}: a tap on the room's events and a timer that raises {@code qc_flag} events) and offline in
 * the dataset export ({@link SessionQuality}, replaying the session log), so the live flags and the exported
 * measures come from one implementation. Nothing here blocks or does I/O; no class is shared between threads.
 */
package dev.improv.server.quality;
