package hotcode.observer.itest;

import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

import java.util.List;

/** Reading what the page shows, in one step: the page polls and redraws its lists while a test reads them. */
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
}
