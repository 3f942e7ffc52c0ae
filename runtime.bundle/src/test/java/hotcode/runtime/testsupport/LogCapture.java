package hotcode.runtime.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** What the runtime's log ({@code hotcode.runtime.impl.Log}: standard output and error) printed while a block ran. */
public final class LogCapture {
    /** A block that may throw. */
    public interface Block {
        void run() throws Exception;
    }

    private LogCapture() {
    }

    /** Runs {@code block} with standard output and error captured (and still printed); returns what was printed. */
    public static synchronized String during(Block block) throws Exception {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        System.setOut(tee(both, out));
        System.setErr(tee(both, err));
        try {
            block.run();
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static PrintStream tee(PrintStream a, PrintStream b) {
        return new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int c) {
                a.write(c);
                b.write(c);
            }

            @Override
            public void write(byte[] buf, int off, int len) {
                a.write(buf, off, len);
                b.write(buf, off, len);
            }

            @Override
            public void flush() {
                a.flush();
                b.flush();
            }
        }, true, StandardCharsets.UTF_8);
    }
}
