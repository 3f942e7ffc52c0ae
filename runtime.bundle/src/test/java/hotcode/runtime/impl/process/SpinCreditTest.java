package hotcode.runtime.impl.process;

import org.junit.Test;

import static org.junit.Assert.assertEquals;

/**
 * How a process's spin credit follows its waits ({@code Proc.nextCredit}): doubled by a short wait, halved by a long
 * one, and once out of credit the next waits go untimed (no clock read) but for one in eight, which can give it back.
 */
public class SpinCreditTest {

    @Test
    public void shortWaitsDoubleTheCreditUpToItsMostAndLongOnesHalveIt() {
        assertEquals(4, Proc.nextCredit((byte) 0, true));
        assertEquals(8, Proc.nextCredit((byte) 4, true));
        assertEquals(64, Proc.nextCredit((byte) 64, true));
        assertEquals(32, Proc.nextCredit((byte) 64, false));
        assertEquals(0, Proc.nextCredit((byte) 1, false));
    }

    @Test
    public void outOfCreditSevenWaitsGoUntimedThenOneIsTimedAgain() {
        byte c = Proc.nextCredit((byte) 0, false); // a long wait with no credit left
        int untimed = 0;
        while (c < 0) {
            untimed++;
            c = Proc.nextCredit(c, true); // an untimed wait: whatever it was, it cannot count as short
            if (untimed > 100) {
                break;
            }
        }
        assertEquals("waits that read no clock before one is timed again", 7, untimed);
        assertEquals("the timed one: short, so the process spins again", 4, Proc.nextCredit(c, true));
    }
}
