/**
 * The media recorder: a recv-only WebRTC peer that joins a room as the {@code recorder} role, answers each
 * consenting performer's offer and writes one 48 kHz mono WAV, a sync-point track and a 100 Hz voice-activity
 * track per performer, and, when video is switched on, a JPEG image sequence at a configured rate with a
 * server-time index (see {@code docs/media-recorder.md}).
 *
 * <p>Thread rules: WebRTC's threads only copy audio (and sampled video frames) into bounded queues and return; the WebSocket listener
 * thread only parses and hands messages to the room's single control thread ({@link
 * dev.improv.server.media.MediaRecorderPeer}); all file I/O happens on the room's one writer thread ({@link
 * dev.improv.server.media.RoomMediaWriter}), except JPEG encoding, which has the room's video writer thread
 * ({@link dev.improv.server.media.VideoFrameWriter}) so that it never delays audio. Nothing here runs on, or blocks, a Netty event loop, and no class
 * here touches the room's state except through the WebSocket protocol, so a recorder crash cannot hurt a room.
 * {@link dev.improv.server.media.CrossCorrelation} is pure maths (any thread), used to measure this recorder's
 * placement against a performer's local take.
 */
package dev.improv.server.media;
