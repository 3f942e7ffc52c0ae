package hotcode.observer;

import org.junit.Test;

import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** How a message (a term) is shown on a page: formatted, cut, and never a stack trace. */
public class ObserverTermTest {
    @Test
    public void aTermIsFormattedAndCut() {
        assertEquals("\"text\"", Observer.term("text"));
        assertEquals("[1, 2]", Observer.term(List.of(1, 2)));
        String longOne = Observer.term("x".repeat(10_000));
        assertTrue(longOne, longOne.startsWith("\"xxx") && longOne.endsWith("... (10002 characters)"));
        assertEquals(Observer.TERM_CHARS + "... (10002 characters)".length(), longOne.length());
    }

    @Test
    public void aMessageWhoseToStringThrowsSaysSo() {
        Object odd = new Object() {
            @Override
            public String toString() {
                throw new IllegalStateException("changed while read");
            }
        };
        String shown = Observer.term(odd);
        assertTrue(shown, shown.startsWith("(cannot be shown: ") && shown.contains("changed while read"));
    }
}
