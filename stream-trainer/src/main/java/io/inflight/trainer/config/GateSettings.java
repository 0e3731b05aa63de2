package io.inflight.trainer.config;

/**
 * The optional quality gate on publication: model-updates are held while the window's AUC falls more
 * than {@code aucDrop} below the stream's (every event so far: the trailing baseline) or its NE rises
 * more than {@code neRise} above the stream's, and released when both are back within, judged at
 * each publication once the window holds {@code minEvents} events.
 *
 * @param aucDrop   0: the AUC does not hold publication
 * @param neRise    0: the NE does not hold publication
 * @param minEvents events the window must hold before the gate judges
 */
public record GateSettings(double aucDrop, double neRise, long minEvents) {

    /** No gate. */
    public static final GateSettings OFF = new GateSettings(0, 0, 1);

    public GateSettings {
        if (!(aucDrop >= 0 && aucDrop <= 1) || !(neRise >= 0) || !Double.isFinite(neRise) || minEvents < 1) {
            throw new IllegalArgumentException("gate needs an AUC drop in [0, 1], a finite NE rise >= 0 and minEvents >= 1, got "
                    + aucDrop + ", " + neRise + ", " + minEvents);
        }
    }

    /** Whether a gate is configured. */
    public boolean enabled() {
        return aucDrop > 0 || neRise > 0;
    }
}
