package hotcode.bench.jmh;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.impl.Kernel;
import hotcode.runtime.impl.code.ModuleHeader;
import hotcode.runtime.impl.code.ModuleSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Qualified call ({@code Hotcode.call("jm", "inc", x)}) against a local call ({@code Target.inc(x)}), on the runtime
 * classes directly (no OSGi): a bare Kernel with one module version loaded from the application class loader. The
 * caller is a plain JMH thread, not a Hotcode process, so the router takes its "outside every process" path (no frame
 * push/pop, no argument crossing check); the in-process cost is measured by the Felix suite's calls group.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xmx1g"})
public class CallBench {
    private Kernel kernel;
    private long x;

    @Setup
    public void setup() {
        kernel = new Kernel(5000);
        Kernel.install(kernel);
        kernel.code().load(new ModuleSource(ModuleHeader.parse("jm;class=" + Target.class.getName(), "bench"),
                "bsn", "1.0.0", 1, "loc", hotcode.runtime.impl.code.ModuleRevision.detached(), Target.class.getClassLoader()));
    }

    @TearDown
    public void tearDown() {
        Kernel.uninstall(kernel);
    }

    @Benchmark
    public long local() {
        return Target.inc(x++);
    }

    @Benchmark
    public Object qualified() {
        return Hotcode.call("jm", "inc", x++);
    }
}
