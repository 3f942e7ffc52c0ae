package hotcode.itest;

import static hotcode.itest.Itest.bundle;
import static hotcode.itest.Itest.code;
import static hotcode.itest.Itest.currentVersion;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Pid;
import hotcode.testing.Inbox;

/**
 * The seed scenario: pingpong v1 runs a client and a server; the pingpong bundle is updated to v2 while they run; the
 * client's {@code upgrade} message makes the server re-enter itself through a qualified call, so the last 5 pings are
 * answered by v2 code, by the same server process, and nothing is lost.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SeedScenarioIT {
    private static final String MOD = "pingpong";
    private static final int PINGS = 10;
    private static final long INTERVAL_MS = 50;

    @Configuration
    public Option[] config() {
        return HotcodeOptions.options();
    }

    @Test
    public void upgradeWhileRunning() throws Exception {
        Bundle pingpong = bundle("hotcode.pingpong");
        assertEquals("1", Hotcode.call(MOD, "vsn"));
        long deadLettersBefore = Hotcode.deadLetterCount();
        List<Pid> before = Hotcode.processes();

        Capture out = Capture.start();
        Pid client;
        Pid server;
        try {
            client = (Pid) Hotcode.call(MOD, "start", PINGS, INTERVAL_MS);
            List<Pid> started = new ArrayList<>(Hotcode.processes());
            started.removeAll(before);
            started.remove(client);
            assertEquals("pingpong:start/2 spawns a server and a client: " + started, 1, started.size());
            server = started.get(0);
            Inbox.Monitor clientDown = new Inbox.Monitor(client);

            Itest.await("the client's first pong", () -> out.count("Received a PONG!") >= 1);
            try (InputStream v2 = URI.create(HotcodeOptions.url("itest.bundle.pingpong.v2")).toURL().openStream()) {
                pingpong.update(v2);
            }
            assertFalse("the update must come before the client's upgrade message (test too slow?):\n" + out.text(),
                    out.text().contains("Sending an upgrade message!"));
            assertEquals("2.0.0", currentVersion(MOD));
            assertEquals("2", Hotcode.call(MOD, "vsn"));
            assertTrue("the server still runs v1 until it gets the upgrade message", Hotcode.isAlive(server));

            assertEquals("the client exits normally", Hotcode.NORMAL, clientDown.awaitDown());
        } finally {
            out.stop();
        }

        List<String> lines = out.lines();
        assertEquals(out.text(), 1, count(lines, "Received " + PINGS + " PONGS!"));
        assertEquals(out.text(), PINGS, count(lines, "Received a PONG!"));
        assertEquals(out.text(), PINGS, count(lines, "Sent          a PING!"));
        assertEquals(out.text(), 1, count(lines, "Sending an upgrade message!"));
        assertEquals("the 5 pings after the upgrade are answered by v2:\n" + out.text(), 5,
                count(lines, "New version Running!"));
        int upgrade = lines.indexOf("Sending an upgrade message!");
        assertEquals("no v2 output before the upgrade message", -1,
                lines.subList(0, upgrade).indexOf("New version Running!"));

        assertTrue("the server survives the upgrade", Hotcode.isAlive(server));
        assertTrue("same server process", Hotcode.processes().contains(server));
        assertFalse("the server re-entered: no v1 frame left", code().checkProcessCode(server, MOD));
        assertEquals("only the server runs pingpong now (v2)", 1, Itest.which(MOD).current().orElseThrow().processes());
        assertEquals("no dead letters: " + Hotcode.recentDeadLetters(), deadLettersBefore, Hotcode.deadLetterCount());
    }

    private static int count(List<String> lines, String line) {
        int n = 0;
        for (String l : lines) {
            if (l.equals(line)) {
                n++;
            }
        }
        return n;
    }

    /** Tees System.out (where the pingpong module prints) into a buffer. */
    static final class Capture {
        private final PrintStream original = System.out;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        static Capture start() {
            Capture c = new Capture();
            OutputStream tee = new OutputStream() {
                @Override
                public void write(int b) {
                    synchronized (c.buffer) {
                        c.original.write(b);
                        c.buffer.write(b);
                    }
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    synchronized (c.buffer) {
                        c.original.write(b, off, len);
                        c.buffer.write(b, off, len);
                    }
                }

                @Override
                public void flush() {
                    c.original.flush();
                }
            };
            System.setOut(new PrintStream(tee, true, StandardCharsets.UTF_8));
            return c;
        }

        void stop() {
            System.out.flush();
            System.setOut(original);
        }

        String text() {
            synchronized (buffer) {
                return buffer.toString(StandardCharsets.UTF_8);
            }
        }

        List<String> lines() {
            List<String> out = new ArrayList<>();
            for (String l : text().split("\\R")) {
                out.add(l.strip());
            }
            return out;
        }

        int count(String line) {
            return SeedScenarioIT.count(lines(), line);
        }
    }
}
