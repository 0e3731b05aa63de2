package io.inflight.ops.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The frontier as a picture: ΔAUC against the compression ratio (log x axis), one line per mode, one
 * panel per stream and model (streams across, models down), written as PNG with JFreeChart.
 */
public final class CompressionChart {

    private static final int PANEL_W = 480;
    private static final int PANEL_H = 330;
    private static final int TITLE_H = 52;
    private static final int MIN_W = 960;

    /** One colour per known mode, the same in every panel. */
    private static final Color[] COLORS = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf), new Color(0x7f7f7f)};

    private CompressionChart() {
    }

    /** Writes the chart of {@code runs} (unavailable and failed runs are left out) to {@code png}. */
    public static void write(List<CompressionBench.Run> runs, String title, Path png) {
        System.setProperty("java.awt.headless", "true");
        Set<String> streams = new LinkedHashSet<>();
        Set<String> models = new LinkedHashSet<>();
        for (CompressionBench.Run r : runs) {
            streams.add(r.stream());
            models.add(r.model());
        }
        int cols = Math.max(1, streams.size());
        int rowsN = Math.max(1, models.size());
        BufferedImage img = new BufferedImage(Math.max(MIN_W, cols * PANEL_W), TITLE_H + rowsN * PANEL_H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
            g.drawString("ΔAUC against compression ratio, one line per policy mode", 12, 22);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            g.drawString(title, 12, 42);
            int row = 0;
            for (String model : models) {
                int col = 0;
                for (String stream : streams) {
                    JFreeChart chart = panel(runs, stream, model);
                    chart.draw(g, new Rectangle2D.Double(col * PANEL_W, TITLE_H + row * PANEL_H, PANEL_W, PANEL_H));
                    col++;
                }
                row++;
            }
        } finally {
            g.dispose();
        }
        try {
            Path parent = png.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (!ImageIO.write(img, "png", png.toFile())) {
                throw new IOException("no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + png, e);
        }
    }

    private static JFreeChart panel(List<CompressionBench.Run> runs, String stream, String model) {
        XYSeriesCollection data = new XYSeriesCollection();
        List<String> modes = new ArrayList<>();
        double refAuc = Double.NaN;
        for (CompressionBench.Run r : runs) {
            if (r.stream().equals(stream) && r.model().equals(model) && r.reference() && r.ok()) {
                refAuc = r.auc();
            }
        }
        for (String mode : CompressionBench.KNOWN_MODES) {
            XYSeries s = new XYSeries(mode, true, true);
            runs.stream().filter(r -> r.stream().equals(stream) && r.model().equals(model) && r.mode().equals(mode))
                    .filter(r -> r.ok() && Double.isFinite(r.compression()) && r.compression() > 0
                            && Double.isFinite(r.deltaAuc()))
                    .sorted(Comparator.comparingDouble(CompressionBench.Run::compression))
                    .forEach(r -> s.add(r.compression(), r.deltaAuc()));
            if (s.getItemCount() > 0) {
                data.addSeries(s);
                modes.add(mode);
            }
        }
        LogAxis x = new LogAxis("compression (reference bytes / final bytes)");
        x.setBase(10);
        x.setSmallestValue(0.5);
        x.setNumberFormatOverride(new DecimalFormat("0.#"));
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (int i = 0; i < data.getSeriesCount(); i++) {
            lo = Math.min(lo, data.getSeries(i).getMinX());
            hi = Math.max(hi, data.getSeries(i).getMaxX());
        }
        if (hi / lo >= 20) { // two decades or so: one label per decade (1, 10, 100, ...), minor marks between
            x.setAutoTickUnitSelection(false);
            x.setTickUnit(new NumberTickUnit(1.0));
            x.setMinorTickCount(9);
            x.setMinorTickMarksVisible(true);
        }
        x.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        NumberAxis y = new NumberAxis("ΔAUC vs fp32 unlimited");
        y.setAutoRangeIncludesZero(true);
        y.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < modes.size(); i++) {
            Color c = COLORS[CompressionBench.KNOWN_MODES.indexOf(modes.get(i)) % COLORS.length];
            renderer.setSeriesPaint(i, c);
            renderer.setSeriesStroke(i, new BasicStroke(1.8f));
        }
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        ValueMarker zero = new ValueMarker(0.0, Color.BLACK, new BasicStroke(1f));
        plot.addRangeMarker(zero);
        JFreeChart chart = new JFreeChart(null, new Font(Font.SANS_SERIF, Font.BOLD, 13), plot, true);
        chart.setTitle(new TextTitle(String.format(Locale.ROOT, "%s, %s (ref AUC %.4f)", stream, model, refAuc),
                new Font(Font.SANS_SERIF, Font.BOLD, 13)));
        chart.setBackgroundPaint(Color.WHITE);
        if (chart.getLegend() != null) {
            chart.getLegend().setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        }
        return chart;
    }
}
