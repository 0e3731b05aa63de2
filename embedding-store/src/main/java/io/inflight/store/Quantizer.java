package io.inflight.store;

import io.inflight.policies.Precision;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Encodes chunks of fp32 values into their stored precision and back.
 *
 * <p>Formats (little-endian, tightly packed, {@link #slotBytes} bytes per chunk):
 * <ul>
 *   <li>FP32: IEEE binary32;</li>
 *   <li>FP16: IEEE binary16, saturating at ±65504, stochastically rounded between the two
 *       neighbouring half values;</li>
 *   <li>BF16: the upper 16 bits of binary32, stochastically rounded (random low 16 bits added
 *       before truncation);</li>
 *   <li>INT8/INT4/INT2: two's complement integers {@code q} with a per-chunk scale {@code α},
 *       {@code x̂ = α·q}, {@code α = m / (2^(b-1) - 1)} with {@code m = max|x|} rounded up to a
 *       bfloat16 (stored in 2 bytes: {@link #packScale}; rounding up keeps every code in range, costs
 *       under 0.4% of the code range, and leaves {@code ±max|x|} exact whenever it is a bfloat16; the
 *       codes are computed with this α, so decoding is exact) recomputed at every write, and ALPT
 *       stochastic rounding {@code q = clamp(floor(x/α + U[0,1)), -2^(b-1), 2^(b-1) - 1)}. INT4 packs
 *       two values per byte (even index in the low nibble), INT2 four (index i at bits 2·(i mod 4)).</li>
 * </ul>
 * Every random draw is {@code CounterRng.at(rngBase, rngIndex + i)}, so the caller keys rounding by
 * (seed, key, training step; a policy operation by its own key) and the dimension index. Stochastic
 * rounding is unbiased:
 * {@code E[decode(encode(x))] = x} for values inside the representable range. Stateless.
 */
public final class Quantizer {

    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_LE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int HALF_MAX_BITS = 0x7bff;
    private static final int FLOAT_HALF_MAX_BITS = 0x477fe000; // 65504.0f
    private static final int FLOAT_HALF_MIN_NORMAL_BITS = 0x38800000; // 2^-14

    private Quantizer() {
    }

    /** Bytes of one stored chunk of {@code width} values at {@code p}. */
    public static int slotBytes(int width, Precision p) {
        return (width * p.bits() + 7) >>> 3;
    }

    /** Largest positive integer code of a quantized precision ({@code 2^(b-1) - 1}). */
    public static int qmax(Precision p) {
        return (1 << (p.bits() - 1)) - 1;
    }

    /**
     * Stores {@code src[srcOff .. srcOff + width)} at precision {@code p} into {@code dst} at {@code dstOff}.
     * Values must be finite.
     *
     * @return the scale α of a quantized precision (0 when every value is 0); 0 for float formats
     */
    public static float encode(float[] src, int srcOff, int width, Precision p, byte[] dst, int dstOff,
                               long rngBase, int rngIndex) {
        switch (p) {
            case FP32 -> {
                for (int i = 0; i < width; i++) {
                    INT_LE.set(dst, dstOff + 4 * i, Float.floatToRawIntBits(src[srcOff + i]));
                }
                return 0f;
            }
            case FP16 -> {
                for (int i = 0; i < width; i++) {
                    float u = CounterRng.unit(CounterRng.at(rngBase, rngIndex + i));
                    SHORT_LE.set(dst, dstOff + 2 * i, (short) halfStochastic(src[srcOff + i], u));
                }
                return 0f;
            }
            case BF16 -> {
                for (int i = 0; i < width; i++) {
                    long r = CounterRng.at(rngBase, rngIndex + i);
                    SHORT_LE.set(dst, dstOff + 2 * i, (short) bf16Stochastic(src[srcOff + i], (int) (r >>> 48)));
                }
                return 0f;
            }
            default -> {
                return encodeInt(src, srcOff, width, p, dst, dstOff, rngBase, rngIndex);
            }
        }
    }

    private static float encodeInt(float[] src, int srcOff, int width, Precision p, byte[] dst, int dstOff,
                                   long rngBase, int rngIndex) {
        float maxAbs = 0f;
        for (int i = 0; i < width; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(src[srcOff + i]));
        }
        int qmax = qmax(p);
        int qmin = -qmax - 1;
        int bytes = slotBytes(width, p);
        for (int i = 0; i < bytes; i++) {
            dst[dstOff + i] = 0;
        }
        if (maxAbs == 0f) {
            return 0f;
        }
        float top = bf16Ceil(maxAbs);
        float scale = top / qmax;
        float inv = qmax / top;
        int bits = p.bits();
        for (int i = 0; i < width; i++) {
            float u = CounterRng.unit(CounterRng.at(rngBase, rngIndex + i));
            int q = (int) Math.floor(src[srcOff + i] * inv + u);
            q = Math.max(qmin, Math.min(qmax, q));
            if (bits == 8) {
                dst[dstOff + i] = (byte) q;
            } else {
                int perByte = 8 / bits;
                int at = dstOff + i / perByte;
                int shift = (i % perByte) * bits;
                int m = (1 << bits) - 1;
                dst[at] = (byte) (dst[at] | ((q & m) << shift));
            }
        }
        return scale;
    }

    /** Reads {@code width} values stored at {@code p} (with scale {@code scale}) into {@code dst}. */
    public static void decode(byte[] src, int srcOff, int width, Precision p, float scale, float[] dst, int dstOff) {
        switch (p) {
            case FP32 -> {
                for (int i = 0; i < width; i++) {
                    dst[dstOff + i] = Float.intBitsToFloat((int) INT_LE.get(src, srcOff + 4 * i));
                }
            }
            case FP16 -> {
                for (int i = 0; i < width; i++) {
                    dst[dstOff + i] = halfToFloat((short) SHORT_LE.get(src, srcOff + 2 * i) & 0xffff);
                }
            }
            case BF16 -> {
                for (int i = 0; i < width; i++) {
                    dst[dstOff + i] = Float.intBitsToFloat(((short) SHORT_LE.get(src, srcOff + 2 * i)) << 16);
                }
            }
            case INT8 -> {
                for (int i = 0; i < width; i++) {
                    dst[dstOff + i] = scale * src[srcOff + i];
                }
            }
            default -> {
                int bits = p.bits();
                int perByte = 8 / bits;
                int m = (1 << bits) - 1;
                int signShift = 32 - bits;
                for (int i = 0; i < width; i++) {
                    int raw = (src[srcOff + i / perByte] >>> ((i % perByte) * bits)) & m;
                    int q = (raw << signShift) >> signShift;
                    dst[dstOff + i] = scale * q;
                }
            }
        }
    }

    /** binary16 bits -> float (exact). */
    public static float halfToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** float -> binary16 bits, rounded toward zero, saturating at ±65504. */
    static int halfTowardZero(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= FLOAT_HALF_MAX_BITS) {
            return sign | HALF_MAX_BITS;
        }
        if (abs < FLOAT_HALF_MIN_NORMAL_BITS) {
            return sign | (int) (Float.intBitsToFloat(abs) * 0x1p24f);
        }
        int exp = (abs >>> 23) - 127 + 15;
        return sign | (exp << 10) | ((abs >>> 13) & 0x3ff);
    }

    /** The smallest binary16 value {@code >= f} for finite {@code f >= 0}, as bits (saturating at 65504). */
    static int halfCeil(float f) {
        int h = halfTowardZero(f);
        return halfToFloat(h) < f && (h & 0x7fff) < HALF_MAX_BITS ? h + 1 : h;
    }

    /** float -> binary16 bits with stochastic rounding driven by {@code u} in [0, 1). */
    static int halfStochastic(float f, float u) {
        int h0 = halfTowardZero(f);
        if ((h0 & 0x7fff) == HALF_MAX_BITS) {
            return h0;
        }
        float lo = Math.abs(halfToFloat(h0));
        float a = Math.abs(f);
        if (lo == a) {
            return h0;
        }
        float hi = Math.abs(halfToFloat(h0 + 1));
        return u < (a - lo) / (hi - lo) ? h0 + 1 : h0;
    }

    /**
     * The 2 stored bytes (bfloat16 bits of {@code α·qmax}) of a scale {@link #encode} returned for
     * {@code p}; exact for such scales, nearest for any other (a version-1 row's fp32 scale).
     */
    public static int packScale(float scale, Precision p) {
        return bf16Nearest(scale * qmax(p));
    }

    /** The scale of {@link #packScale} bits: {@code bf16 / qmax}, bit-identical to what {@link #encode} returned. */
    public static float unpackScale(int bits, Precision p) {
        return Float.intBitsToFloat((bits & 0xffff) << 16) / qmax(p);
    }

    /** The smallest bfloat16 value {@code >= f} for finite {@code f > 0} (the largest finite bf16 at most). */
    static float bf16Ceil(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0xffff) == 0) {
            return f;
        }
        int up = (bits & 0xffff0000) + 0x10000;
        return (up & 0x7fffffff) >= 0x7f800000 ? Float.intBitsToFloat(0x7f7f0000) : Float.intBitsToFloat(up);
    }

    /** float -> bfloat16 bits rounded to nearest (ties to even); finite values only. */
    static int bf16Nearest(float f) {
        int bits = Float.floatToRawIntBits(f);
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        if ((rounded & 0x7fffffff) >= 0x7f800000) {
            return ((bits >>> 16) & 0x8000) | 0x7f7f;
        }
        return (rounded >>> 16) & 0xffff;
    }

    /** Steps per octave of the 8-bit utility code ({@link #util8Stochastic}). */
    static final int UTIL8_STEPS = 6;
    private static final float[] UTIL8 = new float[256];

    static {
        for (int q = 1; q < 256; q++) {
            UTIL8[q] = (float) StrictMath.pow(2, (q - 128) / (double) UTIL8_STEPS);
        }
    }

    /**
     * Non-negative float -> the 8-bit utility code: 0 for 0, code {@code q} in [1, 255] for
     * {@code 2^((q - 128)/6)} (6 steps per octave, 12% apart, from 4.3e-7 to 2.3e6), stochastically
     * rounded between the two neighbouring codes by 16 random bits {@code r16} (unbiased inside the
     * range; a value below code 1 rounds to 0 or code 1; saturating at code 255; 0 for NaN).
     */
    static int util8Stochastic(float u, int r16) {
        return util8(u, (r16 & 0xffff) * 0x1p-16f);
    }

    /** {@link #util8Stochastic}'s code rounded to nearest (linearly): for values read from another format. */
    static int util8Nearest(float u) {
        return util8(u, 0.5f);
    }

    /** The value of an 8-bit utility code (exact: a table of {@code (float) StrictMath.pow}). */
    static float util8ToFloat(int code) {
        return UTIL8[code & 0xff];
    }

    /** The code below {@code u}, or the one above it when {@code r} (in [0, 1)) is below u's position between them. */
    private static int util8(float u, float r) {
        if (!(u > 0f)) {
            return 0;
        }
        if (u >= UTIL8[255]) {
            return 255;
        }
        int lo = 0;
        int hi = 255; // UTIL8[lo] <= u < UTIL8[hi]
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (UTIL8[mid] <= u) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return r < (u - UTIL8[lo]) / (UTIL8[hi] - UTIL8[lo]) ? hi : lo;
    }

    /** The largest finite value of the 16-bit accumulator format ({@link #acc16Stochastic}): binary32 0x7f7f8000. */
    static final int ACC16_MAX = 0xfeff;

    /**
     * Non-negative float -> the 16-bit accumulator format: bits 15-30 of its binary32 (8 exponent and
     * 8 mantissa bits; the sign bit of a value that is never negative is dropped, so one mantissa bit
     * more than bfloat16), stochastically rounded by 15 random bits {@code r15} (unbiased, so an
     * Adagrad increment far below the value's last bit is kept in expectation); saturating at
     * {@link #ACC16_MAX}; 0 for zero, negative or NaN input.
     */
    static int acc16Stochastic(float f, int r15) {
        int bits = Float.floatToRawIntBits(f);
        if (bits <= 0 || bits > 0x7f800000) {
            return 0;
        }
        return Math.min(ACC16_MAX, (bits + (r15 & 0x7fff)) >>> 15);
    }

    /** {@link #acc16Stochastic}'s format, rounded to nearest (ties to even): for values read from another format. */
    static int acc16Nearest(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (bits <= 0 || bits > 0x7f800000) {
            return 0;
        }
        return Math.min(ACC16_MAX, (bits + 0x3fff + ((bits >>> 15) & 1)) >>> 15);
    }

    /** The value of 16-bit accumulator bits (exact). */
    static float acc16ToFloat(int bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 15);
    }

    /** float -> bfloat16 bits with stochastic rounding driven by 16 random bits {@code r16}. */
    static int bf16Stochastic(float f, int r16) {
        int bits = Float.floatToRawIntBits(f);
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f7f0000) {
            return (bits >>> 16) & 0xffff; // largest finite bf16 magnitude: never round up to infinity
        }
        return ((bits + (r16 & 0xffff)) >>> 16) & 0xffff;
    }
}
