package hotcode.karaf;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.AssumptionViolatedException;
import org.junit.runner.Description;
import org.junit.runner.notification.Failure;
import org.junit.runner.notification.RunNotifier;
import org.junit.runners.model.InitializationError;
import org.ops4j.pax.exam.junit.PaxExam;

/**
 * Pax Exam's runner, run with the JDK that {@link KarafJdk} found: Pax Exam's Karaf container starts Karaf with
 * {@code ${java.home}/bin/java}, so {@code java.home} names that JDK while the container starts and runs (the test's
 * own JVM keeps running on its JDK). Without such a JDK every test is skipped, as an assumption that failed, with
 * the reason, so the report says why Karaf did not run.
 */
public class KarafRunner extends PaxExam {
    private final Class<?> testClass;

    public KarafRunner(Class<?> klass) throws InitializationError {
        super(klass);
        this.testClass = klass;
    }

    @Override
    public void run(RunNotifier notifier) {
        KarafJdk jdk = KarafJdk.get();
        if (jdk.home == null) {
            System.err.println("[karaf-itest] " + testClass.getSimpleName() + " skipped: " + jdk.why());
            for (Description test : getDescription().getChildren()) {
                notifier.fireTestStarted(test);
                notifier.fireTestAssumptionFailed(new Failure(test, new AssumptionViolatedException(jdk.why())));
                notifier.fireTestFinished(test);
            }
            return;
        }
        String own = System.getProperty("java.home");
        System.setProperty("java.home", jdk.home.toString());
        try {
            super.run(notifier);
        } finally {
            System.setProperty("java.home", own);
            stopLeftoverKaraf();
        }
    }

    /**
     * Pax Exam stops Karaf after the tests, but not when Karaf never came up (a bundle it could not resolve, say):
     * then the Karaf JVM, a child of this one, would outlive the build. Only this JVM's own descendants are looked at.
     */
    private static void stopLeftoverKaraf() {
        ProcessHandle.current().descendants()
                .filter(p -> p.info().commandLine().map(c -> c.contains("-Dkaraf.base=")).orElse(false))
                .forEach(p -> {
                    try {
                        p.onExit().get(10, TimeUnit.SECONDS); // Pax Exam's own stop may still be under way
                    } catch (TimeoutException | ExecutionException e) {
                        System.err.println("[karaf-itest] stopping Karaf left running, pid " + p.pid());
                        p.destroyForcibly();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        p.destroyForcibly();
                    }
                });
    }
}
