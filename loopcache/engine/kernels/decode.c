/* Decode-path kernels for bfloat16 on CPU.
 *
 * Attention of one query over a long cache reads the keys and values once from memory, converts bf16 to
 * fp32 on the fly and accumulates in fp32; the generic kernels spend most of their time there on call
 * overhead and skinny shapes (6 small matrix products per layer, each set up anew).
 * The elementwise steps of a layer (residual add + RMSNorm, RoPE, SiLU(gate) * up) are one call each instead
 * of 5-12 small tensor operations, with the reference implementation's bf16 rounding at each step (the
 * transformers modules round after every bf16 operation; so do these).
 *
 * Plain C (compiled at first use with -O3 -march=native -ffast-math -fopenmp, see native.py): the compiler
 * vectorises the inner loops for whatever the CPU has. OpenMP threads are the ones torch uses (one runtime
 * per process). bf16 values are uint16_t bit patterns.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LC_MAX_GROUP 16
#define LC_CHUNK 1024 /* the largest block size the attention kernel takes */

static inline float bf16_to_f32(uint16_t x) {
    uint32_t u = ((uint32_t)x) << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint16_t f32_to_bf16(float f) { /* round to nearest even, as torch does (no NaN inputs here) */
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

static inline float round_bf16(float f) { return bf16_to_f32(f32_to_bf16(f)); }

/* x += delta (when delta is not NULL; bf16 add), then out = weight * bf16(x * rsqrt(mean(x^2) + eps)):
 * transformers' RMSNorm on bf16 input, row by row. x, delta, out: (rows, dim); weight: (dim). */
void lc_add_rmsnorm_bf16(uint16_t *x, const uint16_t *delta, const uint16_t *weight, float eps, uint16_t *out,
                         int rows, int dim) {
#pragma omp parallel for schedule(static) if (rows > 16)
    for (int r = 0; r < rows; r++) {
        uint16_t *xr = x + (long)r * dim;
        if (delta != NULL) {
            const uint16_t *dr = delta + (long)r * dim;
            for (int i = 0; i < dim; i++) xr[i] = f32_to_bf16(bf16_to_f32(xr[i]) + bf16_to_f32(dr[i]));
        }
        float sq = 0.0f;
        for (int i = 0; i < dim; i++) {
            float v = bf16_to_f32(xr[i]);
            sq += v * v;
        }
        float inv = 1.0f / sqrtf(sq / (float)dim + eps);
        uint16_t *orow = out + (long)r * dim;
        for (int i = 0; i < dim; i++)
            orow[i] = f32_to_bf16(bf16_to_f32(weight[i]) * round_bf16(bf16_to_f32(xr[i]) * inv));
    }
}

/* In place on `heads` consecutive head vectors of each row (row r starts at x + r * row_stride):
 * x = bf16(bf16(x * cos) + bf16(rotate_half(x) * sin)), cos/sin: (rows, dim) bf16. */
void lc_rope_bf16(uint16_t *x, const uint16_t *cos, const uint16_t *sin, int rows, int heads, int dim,
                  long row_stride) {
    int half = dim / 2;
#pragma omp parallel for schedule(static) if (rows > 16)
    for (int r = 0; r < rows; r++) {
        const uint16_t *c = cos + (long)r * dim, *s = sin + (long)r * dim;
        for (int h = 0; h < heads; h++) {
            uint16_t *v = x + r * row_stride + (long)h * dim;
            float in[512];
            for (int i = 0; i < dim; i++) in[i] = bf16_to_f32(v[i]);
            for (int i = 0; i < dim; i++) {
                float rot = i < half ? -in[i + half] : in[i - half];
                float a = round_bf16(in[i] * bf16_to_f32(c[i]));
                float b = round_bf16(rot * bf16_to_f32(s[i]));
                v[i] = f32_to_bf16(a + b);
            }
        }
    }
}

/* out = bf16(bf16(silu(gate)) * up) where gate_up rows are [gate (inter) | up (inter)]. */
void lc_silu_mul_bf16(const uint16_t *gate_up, uint16_t *out, int rows, int inter) {
#pragma omp parallel for schedule(static) if (rows > 16)
    for (int r = 0; r < rows; r++) {
        const uint16_t *g = gate_up + (long)r * 2 * inter, *u = g + inter;
        uint16_t *o = out + (long)r * inter;
        for (int i = 0; i < inter; i++) {
            float x = bf16_to_f32(g[i]);
            float act = round_bf16(x / (1.0f + expf(-x)));
            o[i] = f32_to_bf16(act * bf16_to_f32(u[i]));
        }
    }
}

/* scores[j][t] = exp(scores[j][t] - top[j]); sums per query. */
static inline void lc_exp_scores(float *scores, int group, int n, const float *top, float *top_out, float *sum_out) {
    for (int j = 0; j < group; j++) {
        float sum = 0.0f;
        float *sj = scores + j * LC_CHUNK;
        for (int t = 0; t < n; t++) {
            sj[t] = expf(sj[t] - top[j]);
            sum += sj[t];
        }
        top_out[j] = top[j];
        sum_out[j] = sum;
    }
}

/* One (head, block) task of split attention: scores of the group's queries over tokens [t0, t1) of a
 * block, their max, the sum of exp(score - max) and the exp-weighted sum of values. DIM is a compile-time
 * constant in the specialised copies below, so the inner loops unroll fully. */
static inline void lc_attend_chunk(const uint16_t *qh, float scaling, const uint16_t *kh, const uint16_t *vh,
                                   int group, int n, float *scores, float *top_out, float *sum_out,
                                   float *acc_out, const int DIM) {
    float acc[LC_MAX_GROUP][256];
    float qf[LC_MAX_GROUP][256];
    float top[LC_MAX_GROUP];
    for (int j = 0; j < group; j++) {
        top[j] = -FLT_MAX;
        for (int d = 0; d < DIM; d++) {
            acc[j][d] = 0.0f;
            qf[j][d] = bf16_to_f32(qh[j * DIM + d]);
        }
    }
    for (int t = 0; t < n; t++) {
        float kf[256];
        const uint16_t *kr = kh + (long)t * DIM;
        for (int d = 0; d < DIM; d++) kf[d] = bf16_to_f32(kr[d]);
        for (int j = 0; j < group; j++) {
            float s = 0.0f;
            for (int d = 0; d < DIM; d++) s += qf[j][d] * kf[d];
            s *= scaling;
            scores[j * LC_CHUNK + t] = s;
            top[j] = s > top[j] ? s : top[j];
        }
    }
    lc_exp_scores(scores, group, n, top, top_out, sum_out);
    for (int t = 0; t < n; t++) {
        float vf[256];
        const uint16_t *vr = vh + (long)t * DIM;
        for (int d = 0; d < DIM; d++) vf[d] = bf16_to_f32(vr[d]);
        for (int j = 0; j < group; j++) {
            float p = scores[j * LC_CHUNK + t];
            for (int d = 0; d < DIM; d++) acc[j][d] += p * vf[d];
        }
    }
    for (int j = 0; j < group; j++)
        for (int d = 0; d < DIM; d++) acc_out[j * DIM + d] = acc[j][d];
}

#if defined(__AVX512F__) && defined(__AVX512BF16__)
#include <immintrin.h>
#define LC_AVX_GROUP 4

static inline __m512 lc_bf16x16(const uint16_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}

/* The same task with AVX-512: bf16 dot products accumulated in fp32 (vdpbf16ps, exact products), values
 * converted 16 at a time. DIM is 64 or 128 and group <= LC_AVX_GROUP (all registers). */
static inline void lc_attend_chunk_avx512(const uint16_t *qh, float scaling, const uint16_t *kh, const uint16_t *vh,
                                          int group, int n, float *scores, float *top_out, float *sum_out,
                                          float *acc_out, const int DIM) {
    const int NP = DIM / 32, NV = DIM / 16;
    __m512bh qv[LC_AVX_GROUP][4];
    float top[LC_MAX_GROUP];
    for (int j = 0; j < group; j++) {
        top[j] = -FLT_MAX;
        for (int p = 0; p < NP; p++) qv[j][p] = (__m512bh)_mm512_loadu_si512((const void *)(qh + j * DIM + p * 32));
    }
    for (int t = 0; t < n; t++) {
        const uint16_t *kr = kh + (long)t * DIM;
        __m512bh kv[4];
        for (int p = 0; p < NP; p++) kv[p] = (__m512bh)_mm512_loadu_si512((const void *)(kr + p * 32));
        for (int j = 0; j < group; j++) {
            __m512 a = _mm512_setzero_ps();
            for (int p = 0; p < NP; p++) a = _mm512_dpbf16_ps(a, qv[j][p], kv[p]);
            float s = _mm512_reduce_add_ps(a) * scaling;
            scores[j * LC_CHUNK + t] = s;
            top[j] = s > top[j] ? s : top[j];
        }
    }
    lc_exp_scores(scores, group, n, top, top_out, sum_out);
    __m512 acc[LC_AVX_GROUP][8];
    for (int j = 0; j < group; j++)
        for (int c = 0; c < NV; c++) acc[j][c] = _mm512_setzero_ps();
    for (int t = 0; t < n; t++) {
        const uint16_t *vr = vh + (long)t * DIM;
        __m512 vf[8];
        for (int c = 0; c < NV; c++) vf[c] = lc_bf16x16(vr + c * 16);
        for (int j = 0; j < group; j++) {
            __m512 p = _mm512_set1_ps(scores[j * LC_CHUNK + t]);
            for (int c = 0; c < NV; c++) acc[j][c] = _mm512_fmadd_ps(p, vf[c], acc[j][c]);
        }
    }
    for (int j = 0; j < group; j++)
        for (int c = 0; c < NV; c++) _mm512_storeu_ps(acc_out + j * DIM + c * 16, acc[j][c]);
}
#endif

static void lc_attend_chunk_any(const uint16_t *qh, float scaling, const uint16_t *kh, const uint16_t *vh, int group,
                                int n, float *scores, float *top, float *sum, float *acc, int dim) {
#if defined(__AVX512F__) && defined(__AVX512BF16__)
    if (group <= LC_AVX_GROUP && dim == 64) {
        lc_attend_chunk_avx512(qh, scaling, kh, vh, group, n, scores, top, sum, acc, 64);
        return;
    }
    if (group <= LC_AVX_GROUP && dim == 128) {
        lc_attend_chunk_avx512(qh, scaling, kh, vh, group, n, scores, top, sum, acc, 128);
        return;
    }
#endif
    switch (dim) {  /* constant DIM: unrolled inner loops for the common head sizes */
    case 64: lc_attend_chunk(qh, scaling, kh, vh, group, n, scores, top, sum, acc, 64); break;
    case 128: lc_attend_chunk(qh, scaling, kh, vh, group, n, scores, top, sum, acc, 128); break;
    default: lc_attend_chunk(qh, scaling, kh, vh, group, n, scores, top, sum, acc, dim); break;
    }
}

/* Paged attention of one query per head over `length` cached tokens, grouped: `group` query heads share
 * each of `kv_heads` key/value heads. k, v: bf16 pools in
 * which head h's slot s is at k[h * head_stride + s * dim]; token t of the sequence is in slot
 * blocks[t / block_size] * block_size + t % block_size (the block table: no copy, whatever the blocks'
 * order). q: (kv_heads, group, dim) bf16, scores scaled by `scaling`; out: (kv_heads, group, dim) bf16. Split over (head, block) tasks that threads share; partial
 * results are merged with their maxima (the softmax is exact, only the summation order differs). */
int lc_attend_one_bf16(const uint16_t *q, float scaling, const uint16_t *k, const uint16_t *v, long head_stride,
                       const int32_t *blocks, int block_size, int kv_heads, int group, int dim, int length,
                       uint16_t *out) {
    if (dim > 256 || group > LC_MAX_GROUP || length < 1 || block_size < 1 || block_size > LC_CHUNK) return -1;
    int chunks = (length + block_size - 1) / block_size, tasks = kv_heads * chunks;
    float *tops = malloc(sizeof(float) * (size_t)tasks * group * (2 + dim));
    if (tops == NULL) return -1;
    float *sums = tops + (size_t)tasks * group, *accs = sums + (size_t)tasks * group;
#pragma omp parallel for schedule(static)
    for (int task = 0; task < tasks; task++) {
        float scores[LC_MAX_GROUP * LC_CHUNK];
        int h = task / chunks, c = task % chunks;
        int n = (c + 1) * block_size <= length ? block_size : length - c * block_size;
        long base = h * head_stride + (long)blocks[c] * block_size * dim;
        lc_attend_chunk_any(q + (long)h * group * dim, scaling, k + base, v + base, group, n, scores,
                            tops + (long)task * group, sums + (long)task * group, accs + (long)task * group * dim,
                            dim);
    }
    for (int h = 0; h < kv_heads; h++) {
        for (int j = 0; j < group; j++) {
            float top = -FLT_MAX, total = 0.0f;
            for (int c = 0; c < chunks; c++) {
                float m = tops[(long)(h * chunks + c) * group + j];
                top = m > top ? m : top;
            }
            float o[256];
            for (int d = 0; d < dim; d++) o[d] = 0.0f;
            for (int c = 0; c < chunks; c++) {
                long at = (long)(h * chunks + c) * group + j;
                float scale = expf(tops[at] - top);
                total += scale * sums[at];
                const float *a = accs + at * dim;
                for (int d = 0; d < dim; d++) o[d] += scale * a[d];
            }
            float inv = 1.0f / total;
            uint16_t *dst = out + ((long)h * group + j) * dim;
            for (int d = 0; d < dim; d++) dst[d] = f32_to_bf16(o[d] * inv);
        }
    }
    free(tops);
    return 0;
}
