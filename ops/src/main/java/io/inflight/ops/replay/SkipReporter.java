package io.inflight.ops.replay;

import io.inflight.topics.logs.MalformedLineException;
import java.io.PrintStream;

/**
 * The malformed-line policy: report each line ({@code skipped file:line: reason: detail}, the first
 * {@code maxShown} of them) and count it, or, when strict, stop with {@link ReplayStoppedException}.
 */
public final class SkipReporter implements MergedLogSource.MalformedHandler {

    private final boolean strict;
    private final PrintStream out;
    private final int maxShown;
    private long skipped;

    public SkipReporter(boolean strict, PrintStream out, int maxShown) {
        this.strict = strict;
        this.out = out;
        this.maxShown = maxShown;
    }

    @Override
    public void onMalformed(MalformedLineException e) {
        if (strict) {
            throw new ReplayStoppedException(e);
        }
        skipped++;
        if (skipped <= maxShown) {
            out.println("skipped " + e.getMessage());
        } else if (skipped == maxShown + 1) {
            out.println("(further malformed lines are counted, not shown)");
        }
    }

    public long skipped() {
        return skipped;
    }
}
