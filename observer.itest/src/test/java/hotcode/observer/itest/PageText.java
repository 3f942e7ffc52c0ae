package hotcode.observer.itest;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/** Reading and clicking what the page shows while it polls and redraws its tables (the browser tests' helpers). */
final class PageText {
    private PageText() {
    }

    /**
     * The visible text of every element {@code css} matches, read in one script run, so a redraw between two reads
     * cannot leave the test holding an element that is gone (Selenium's StaleElementReferenceException).
     */
    @SuppressWarnings("unchecked")
    static List<String> all(WebDriver driver, String css) {
        return (List<String>) ((JavascriptExecutor) driver).executeScript(
                "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText.trim());", css);
    }

    /** A wait that polls often and looks again when the page redrew what it was looking at. */
    static WebDriverWait waiting(WebDriver driver, int seconds) {
        WebDriverWait w = new WebDriverWait(driver, Duration.ofSeconds(seconds));
        w.pollingEvery(Duration.ofMillis(20));
        w.ignoring(StaleElementReferenceException.class); // the page redraws its tables at every poll
        return w;
    }

    /** Clicks the element; found again if the page redrew it between the lookup and the click. */
    static void click(WebDriver driver, By by) {
        afresh(() -> {
            driver.findElement(by).click();
            return null;
        });
    }

    /** The element's text; found again if the page redrew it between the lookup and the read. */
    static String text(WebDriver driver, By by) {
        return afresh(() -> driver.findElement(by).getText());
    }

    /**
     * Runs {@code look} (a lookup and a read or click of what it found) again, up to 10 times, while the page redraws
     * the element between the two (Selenium's StaleElementReferenceException).
     */
    static <T> T afresh(Supplier<T> look) {
        for (int attempt = 0; ; attempt++) {
            try {
                return look.get();
            } catch (StaleElementReferenceException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
    }
}
