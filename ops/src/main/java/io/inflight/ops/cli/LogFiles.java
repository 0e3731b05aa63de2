package io.inflight.ops.cli;

import io.inflight.topics.logs.LogFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/** What the commands that read logs share: the files a list of names and globs means, the mapping keys, the format. */
final class LogFiles {

    private LogFiles() {
    }

    /** The mapping keys of {@code --mapping FILE} (may be null), then the {@code --map} ones (which win). */
    public static Map<String, String> mappingKeys(Path mappingFile, Map<String, String> mapOptions) {
        Map<String, String> m = new LinkedHashMap<>();
        if (mappingFile != null) {
            m.putAll(PropertiesFiles.load("--mapping", mappingFile));
        }
        m.putAll(mapOptions);
        return m;
    }

    /** The log format: {@code --format}, else the mapping's {@code format} key, else told by the first file's name. */
    public static LogFormat format(String format, Map<String, String> mapKeys, Path first) {
        if (format != null) {
            return LogFormat.parse(format);
        }
        if (mapKeys.containsKey("format")) {
            return LogFormat.parse(mapKeys.get("format"));
        }
        String name = first.getFileName().toString().toLowerCase(Locale.ROOT).replaceFirst("\\.gz$", "");
        if (Files.isDirectory(first) || name.equals("u.data") || name.equals("ratings.dat")) {
            return LogFormat.MOVIELENS;
        }
        if (name.endsWith(".libfm") || name.endsWith(".libsvm") || name.endsWith(".ffm")) {
            return LogFormat.LIBFM;
        }
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return LogFormat.JSONL;
        }
        throw new IllegalArgumentException("cannot tell the format of " + first + ": give --format " + LogFormat.names().replace(", ", "|"));
    }

    /** Expands globs (sorted by name) and checks that every file exists. */
    public static List<Path> expand(List<String> inputs) {
        List<Path> out = new ArrayList<>();
        for (String in : inputs) {
            int glob = indexOfGlob(in);
            if (glob < 0) {
                Path p = Path.of(in);
                if (!Files.exists(p)) {
                    throw new IllegalArgumentException("log file not found: " + in);
                }
                out.add(p);
                continue;
            }
            int slash = in.lastIndexOf('/', glob);
            Path base = slash < 0 ? Path.of(".") : Path.of(in.substring(0, Math.max(1, slash)));
            String pattern = slash < 0 ? in : in.substring(slash + 1);
            PathMatcher m = base.getFileSystem().getPathMatcher("glob:" + pattern);
            int depth = pattern.contains("**") ? Integer.MAX_VALUE : pattern.split("/").length;
            List<Path> matched;
            try (Stream<Path> s = Files.walk(base, depth)) {
                matched = s.filter(Files::isRegularFile).filter(p -> m.matches(base.relativize(p))).sorted().toList();
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot list " + base + " for '" + in + "': " + e.getMessage());
            }
            if (matched.isEmpty()) {
                throw new IllegalArgumentException("no file matches '" + in + "'");
            }
            out.addAll(matched);
        }
        return out;
    }

    private static int indexOfGlob(String s) {
        for (int i = 0; i < s.length(); i++) {
            if ("*?[{".indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }
}
