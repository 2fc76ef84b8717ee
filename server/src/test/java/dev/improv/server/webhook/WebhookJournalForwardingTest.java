package dev.improv.server.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.improv.server.room.SessionJournal;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The webhook journal sits in front of the write-ahead log: a method it leaves to the interface's default would
 * silently drop what the log keeps (that is how resume, cids, bans and the backlog bound once went missing with
 * webhooks on). Every method of both interfaces must be declared by the decorator itself or the class it extends
 * ({@code room.ForwardingJournalSession}, shared with the takes' journal).
 */
class WebhookJournalForwardingTest {
    @Test
    void everyJournalMethodIsForwarded() throws Exception {
        Class<?> session = Arrays.stream(WebhookJournal.class.getDeclaredClasses())
                .filter(SessionJournal.JournalSession.class::isAssignableFrom).findFirst().orElseThrow();
        List<String> missing = new ArrayList<>();
        missing.addAll(notDeclared(SessionJournal.class, WebhookJournal.class));
        missing.addAll(notDeclared(SessionJournal.JournalSession.class, session));
        assertEquals(List.of(), missing);
    }

    /** Declared by the class or a superclass (room.ForwardingJournalSession forwards for it), not by a default. */
    private static boolean declared(Class<?> impl, Method m) {
        for (Class<?> c = impl; c != null && c != Object.class; c = c.getSuperclass()) {
            try {
                c.getDeclaredMethod(m.getName(), m.getParameterTypes());
                return true;
            } catch (NoSuchMethodException e) {
                // look further up
            }
        }
        return false;
    }

    private static List<String> notDeclared(Class<?> api, Class<?> impl) {
        List<String> missing = new ArrayList<>();
        for (Method m : api.getMethods()) {
            if (java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            if (!declared(impl, m)) {
                missing.add(api.getSimpleName() + "." + m.getName() + Arrays.toString(m.getParameterTypes()));
            }
        }
        return missing;
    }
}
