package hotcode.observer.itest;

import org.junit.AfterClass;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.Assert.fail;

/**
 * The observer's cost (docs/BENCHMARKS.md, "Observer"): message throughput of the console with no page open, with the
 * overview open (a sample a second) and with the processes page open (a full query every 2 s), rounds interleaved so
 * that a change in the machine's load hits every mode alike. A bench, not a check: it prints the medians and asserts
 * nothing. Runs only when asked: {@code mvn -pl observer.itest verify -Dobserver.cost=true -Dit.test=ObserverCostIT}.
 */
public class ObserverCostIT {
    static final String PAGE = "/system/console/hotcode";
    static final int ROUNDS = Integer.getInteger("observer.cost.rounds", 6);
    static final int PAIRS = Integer.getInteger("observer.cost.pairs", 2);
    static final int MILLIS = Integer.getInteger("observer.cost.millis", 5000);
    static final int IDLE = Integer.getInteger("observer.cost.idle", 10_000);

    static ObserverConsole console;
    static WebDriver driver;

    @BeforeClass
    public static void start() throws Exception {
        if (!Boolean.getBoolean("observer.cost")) {
            String why = "observer cost bench SKIPPED: run it with -Dobserver.cost=true (it takes minutes)";
            System.err.println(why);
            Assume.assumeTrue(why, false);
        }
        Path chromium = ObserverBrowserIT.CHROMIUM, chromedriver = ObserverBrowserIT.CHROMEDRIVER;
        Assume.assumeTrue("observer cost bench SKIPPED: no chromium/chromedriver",
                Files.isExecutable(chromium) && Files.isExecutable(chromedriver));
        Path loadgen = Path.of(System.getProperty("hotcode.loadgen.jar",
                "target/hotcode.observer.itest.loadgen.jar")).toAbsolutePath();
        console = ObserverConsole.start(List.of(loadgen));
        ChromeOptions o = new ChromeOptions();
        o.setBinary(chromium.toFile());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1100");
        driver = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort().build(), o);
        if (IDLE > 0) {
            rate("loadgen:spawn " + IDLE); // idle processes: what a sample has to walk
        }
    }

    @AfterClass
    public static void stop() throws Exception {
        if (driver != null) {
            driver.quit();
        }
        if (console != null) {
            console.close();
        }
    }

    @Test
    public void throughputWithAndWithoutThePageOpen() throws Exception {
        rate("loadgen:pingpong " + PAIRS + " " + MILLIS); // warm-up
        List<Long> none = new ArrayList<>(), overview = new ArrayList<>(), processes = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            driver.get("about:blank");
            none.add(rate("loadgen:pingpong " + PAIRS + " " + MILLIS));
            open("", "hc-stat-processes");
            overview.add(rate("loadgen:pingpong " + PAIRS + " " + MILLIS));
            open("/processes", "hc-processes");
            processes.add(rate("loadgen:pingpong " + PAIRS + " " + MILLIS));
        }
        long base = median(none);
        System.out.printf(Locale.ROOT, "observer cost: %d rounds of %d ms, %d ping-pong pairs, %d idle processes%n",
                ROUNDS, MILLIS, PAIRS, IDLE);
        System.out.printf(Locale.ROOT, "observer cost: no page open      median %,d msg/s  %s%n", base, none);
        System.out.printf(Locale.ROOT, "observer cost: overview open     median %,d msg/s (%+.1f%%)  %s%n",
                median(overview), 100.0 * (median(overview) - base) / base, overview);
        System.out.printf(Locale.ROOT, "observer cost: processes open    median %,d msg/s (%+.1f%%)  %s%n",
                median(processes), 100.0 * (median(processes) - base) / base, processes);
    }

    /**
     * What looking costs the server: for 30 s, the overview's answer once a second and the process table's first page
     * every two seconds, as the open pages poll; the CPU time each answer cost its thread (read from the answer), summed
     * and divided by the time: the share of one core the page takes. The overview samples only as often as its cost
     * allows (History.COST_FACTOR), so with many processes most of its answers take no new sample.
     */
    @Test
    public void serverTimePerRequest() throws Exception {
        driver.get("about:blank");
        List<Long> overviewCpu = new ArrayList<>(), processesCpu = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < 30; i++) {
            long tick = t0 + TimeUnit.SECONDS.toNanos(i);
            long wait = tick - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait); // not a decision: the page's poll interval
            }
            overviewCpu.add(micros(console.get(PAGE + "/api/overview?since=" + System.currentTimeMillis(), true).body(),
                    "answerCpuMicros"));
            if (i % 2 == 0) {
                processesCpu.add(micros(console.get(PAGE + "/api/processes?size=50", true).body(), "answerCpuMicros"));
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long o = overviewCpu.stream().mapToLong(Long::longValue).sum(), p = processesCpu.stream().mapToLong(Long::longValue).sum();
        System.out.printf(Locale.ROOT, "observer cost: %d idle processes, %.1f s of polling%n", IDLE, seconds);
        System.out.printf(Locale.ROOT, "observer cost: overview answers, CPU us: %s (max %,d)%n", overviewCpu,
                Collections.max(overviewCpu));
        System.out.printf(Locale.ROOT, "observer cost: process table pages, CPU us: %s (median %,d)%n", processesCpu,
                median(processesCpu));
        System.out.printf(Locale.ROOT, "observer cost: overview open (1 poll/s) = %.2f%% of one core; process table open"
                + " (1 poll/2 s) = %.2f%%%n", o / (seconds * 1e4), p / (seconds * 1e4));
    }

    private static long micros(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static void open(String path, String id) {
        driver.get(console.browserUrl(PAGE + path));
        new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> !d.findElements(By.id(id)).isEmpty());
    }

    /** Types the command and waits for its "loadgen-rate N" answer (or any answer, for spawn). */
    private static long rate(String command) throws Exception {
        int from = console.output().length();
        console.type(command);
        Pattern answer = command.startsWith("loadgen:spawn") ? Pattern.compile("<0\\.(\\d+)\\.0>")
                : Pattern.compile("loadgen-rate (\\d+)");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            Matcher m = answer.matcher(console.output().substring(from));
            if (m.find()) {
                return Long.parseLong(m.group(1));
            }
            Thread.sleep(50);
        }
        fail("no answer to " + command + ":\n" + console.output().substring(from));
        return -1;
    }

    private static long median(List<Long> xs) {
        List<Long> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
