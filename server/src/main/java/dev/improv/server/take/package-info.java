/**
 * Local takes: each performer's own microphone, recorded in the page, uploaded chunk by chunk while the scene
 * runs, written durably here and assembled on the server timeline when the take ends (docs/recording.md); and
 * the stage consent that gates it. No Netty types: {@link dev.improv.server.take.Takes} owns all take state on
 * its one {@code takes} thread, which also does the hashing, the file writes, the fsyncs and the assembly, so
 * none of it runs on an event loop. {@code take.http} holds the routes.
 */
package dev.improv.server.take;
