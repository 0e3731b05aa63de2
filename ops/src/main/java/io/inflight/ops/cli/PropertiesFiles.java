package io.inflight.ops.cli;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Reads a {@code .properties} file given on the command line ({@code --config}, {@code --mapping}).
 * Every problem is an {@link IllegalArgumentException} (exit 2) of one line naming the option and the
 * file, and the line where there is one: a missing or unreadable file, a directory, a binary file
 * (a NUL byte, or bytes that are not UTF-8), a malformed {@code \\uXXXX} escape.
 */
final class PropertiesFiles {

    private PropertiesFiles() {
    }

    /** The keys and values of {@code file}, in no particular order. */
    static Map<String, String> load(String option, Path file) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(option + ": " + file + " is a directory, not a properties file");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(option + ": file not found: " + file);
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException(option + ": cannot read " + file + " (permission denied)");
        } catch (IOException e) {
            throw new IllegalArgumentException(option + ": cannot read " + file + ": " + e.getMessage());
        }
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                throw new IllegalArgumentException(option + ": " + file + " is a binary file, not a properties file "
                        + "(NUL byte at line " + lineOf(bytes, i) + ")");
            }
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(option + ": " + file + " is not UTF-8 text (a binary file?) at line "
                    + lineOf(bytes, firstMalformed(bytes)));
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IllegalArgumentException e) {
            int line = badEscapeLine(text);
            throw new IllegalArgumentException(option + ": " + file + (line > 0 ? " line " + line : "") + ": "
                    + e.getMessage() + " (a backslash-u must be followed by four hex digits; write \\\\ for a backslash)");
        } catch (IOException e) {
            throw new IllegalArgumentException(option + ": cannot read " + file + ": " + e.getMessage());
        }
        Map<String, String> out = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
        return out;
    }

    /** 1-based line of byte {@code index}. */
    private static int lineOf(byte[] bytes, int index) {
        int line = 1;
        for (int i = 0; i < index && i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                line++;
            }
        }
        return line;
    }

    /** Index of the first byte that does not decode as UTF-8 (the prefix before it decodes). */
    private static int firstMalformed(byte[] bytes) {
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        decoder.decode(in, out, true);
        return in.position();
    }

    /** 1-based line of the first {@code \\u} not followed by four hex digits, 0 when none is found. */
    static int badEscapeLine(String text) {
        int line = 1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                line++;
            } else if (c == '\\' && i + 1 < text.length()) {
                char next = text.charAt(i + 1);
                if (next == 'u') {
                    for (int k = 2; k < 6; k++) {
                        if (i + k >= text.length() || Character.digit(text.charAt(i + k), 16) < 0) {
                            return line;
                        }
                    }
                }
                if (next == '\n') {
                    line++;
                }
                i++; // the escaped character
            }
        }
        return 0;
    }
}
