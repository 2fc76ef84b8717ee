package dev.improv.server.app;

import dev.improv.server.room.SessionJournal;

/**
 * The feature that keeps the rooms' events: built before the rooms, which write to its {@link #journal()}. The
 * session log by default ({@code --session-log}); tests and other log kinds supply their own through
 * {@link ServerApp#start(dev.improv.server.config.ServerConfig, java.util.function.Function)}.
 */
public interface JournalFeature extends Feature {
    SessionJournal journal();
}
