package hotcode.runtime.impl.process;

import org.junit.Test;

import static org.junit.Assert.assertEquals;

/** The sampler's primitive map, which keeps each process's effect count between two looks. */
public class ProcessSamplerTest {
    @Test
    public void theMapKeepsEveryKeyAcrossGrowthAndOverwrites() {
        ProcessSampler.LongIntMap m = new ProcessSampler.LongIntMap(4);
        for (long k = 1; k <= 200_000; k++) {
            m.put(k * 7, (int) k);
        }
        assertEquals(200_000, m.size());
        for (long k = 1; k <= 200_000; k++) {
            assertEquals((int) k, m.get(k * 7, -1));
        }
        assertEquals(-1, m.get(3, -1));
        m.put(7, 42);
        assertEquals(42, m.get(7, -1));
        assertEquals(200_000, m.size());
    }
}
