/*
 * The fast engine's arithmetic: the one-layer LSTM next-token model's forward pass, softmax and
 * exact backward pass, in float32 with WebAssembly SIMD (f32x4). Freestanding (no libc): the
 * caller (lib/nn/kernel.ts) owns the memory layout and passes offsets.
 *
 * Build (clang 14 and lld from Debian: apt-get install clang-14 lld-14; bulk memory turns the
 * zeroing loops into memory.fill instead of calls to a memset there is no libc for):
 *   clang-14 --target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib \
 *     -fuse-ld=/usr/lib/llvm-14/bin/wasm-ld -Wl,--no-entry -Wl,--import-memory \
 *     -Wl,--export=__heap_base -o lib/nn/lstm-kernel.wasm lib/nn/lstm-kernel.c
 *
 * Parameters P (floats, the tf.layers weights concatenated in net.getWeights() order):
 * embedding [V,E], LSTM kernel [E,4H], recurrent kernel [H,4H], bias [4H] (gate order i, f, c, o as
 * Keras), output kernel [H,V], output bias [V]. Windows X: int32 [B,n] token ids.
 */
#include <wasm_simd128.h>

typedef float f32;
#define EXPORT(name) __attribute__((export_name(#name)))

/* exp by Cephes' expf method: x = k ln2 + r, |r| <= ln2/2, a degree-7 polynomial for e^r (about
 * 1 ulp), times 2^k built in the exponent bits. Inputs are clamped to [-87, 88], where 2^k stays
 * a normal float. */
#define EXP_LO -87.0f
#define EXP_HI 88.0f
#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693359375f
#define LN2_LO -2.12194440e-4f
#define P0 1.9875691500e-4f
#define P1 1.3981999507e-3f
#define P2 8.3334519073e-3f
#define P3 4.1665795894e-2f
#define P4 1.6666665459e-1f
#define P5 5.0000001201e-1f

static inline v128_t vexp(v128_t x) {
  x = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(EXP_LO)), wasm_f32x4_splat(EXP_HI));
  v128_t k = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(LOG2E)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(k, wasm_f32x4_splat(LN2_HI)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(k, wasm_f32x4_splat(LN2_LO)));
  v128_t p = wasm_f32x4_splat(P0);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(P1));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(P2));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(P3));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(P4));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(P5));
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r), wasm_f32x4_splat(1.0f));
  v128_t e = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(k), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, e);
}

static inline f32 sexp(f32 x) { return wasm_f32x4_extract_lane(vexp(wasm_f32x4_splat(x)), 0); }

static inline v128_t vsigmoid(v128_t x) {
  v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, vexp(wasm_f32x4_neg(x))));
}

/* tanh(x) = 2 sigmoid(2x) - 1. */
static inline v128_t vtanh(v128_t x) {
  v128_t one = wasm_f32x4_splat(1.0f);
  v128_t s = vsigmoid(wasm_f32x4_add(x, x));
  return wasm_f32x4_sub(wasm_f32x4_add(s, s), one);
}

static inline f32 ssigmoid(f32 x) { return 1.0f / (1.0f + sexp(-x)); }
static inline f32 stanh(f32 x) { return 2.0f * ssigmoid(2.0f * x) - 1.0f; }

/*
 * C[M,N] (+)= A·B with A(i,p) = A[i*sai + p*sap] (strides, so A can be read transposed), B [K,N] and
 * C [M,N] row-major. Register blocks of 4 rows x 8 columns; every output element sums over p in
 * the same order whatever its block, so a row's result never depends on the other rows.
 */
static void gemm(int M, int N, int K, const f32 *A, int sai, int sap, const f32 *B, f32 *C, int acc) {
  if (!acc)
    for (int k = 0; k < M * N; k++) C[k] = 0.0f;
  int i = 0;
  for (; i + 4 <= M; i += 4) {
    const f32 *a0 = A + i * sai, *a1 = a0 + sai, *a2 = a1 + sai, *a3 = a2 + sai;
    int j = 0;
    for (; j + 8 <= N; j += 8) {
      f32 *c = C + i * N + j;
      v128_t c00 = wasm_v128_load(c), c01 = wasm_v128_load(c + 4);
      v128_t c10 = wasm_v128_load(c + N), c11 = wasm_v128_load(c + N + 4);
      v128_t c20 = wasm_v128_load(c + 2 * N), c21 = wasm_v128_load(c + 2 * N + 4);
      v128_t c30 = wasm_v128_load(c + 3 * N), c31 = wasm_v128_load(c + 3 * N + 4);
      const f32 *b = B + j;
      for (int p = 0; p < K; p++, b += N) {
        v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
        v128_t x0 = wasm_f32x4_splat(a0[p * sap]), x1 = wasm_f32x4_splat(a1[p * sap]);
        v128_t x2 = wasm_f32x4_splat(a2[p * sap]), x3 = wasm_f32x4_splat(a3[p * sap]);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, b0)); c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, b1));
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x1, b0)); c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, b1));
        c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x2, b0)); c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x2, b1));
        c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x3, b0)); c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x3, b1));
      }
      wasm_v128_store(c, c00); wasm_v128_store(c + 4, c01);
      wasm_v128_store(c + N, c10); wasm_v128_store(c + N + 4, c11);
      wasm_v128_store(c + 2 * N, c20); wasm_v128_store(c + 2 * N + 4, c21);
      wasm_v128_store(c + 3 * N, c30); wasm_v128_store(c + 3 * N + 4, c31);
    }
    for (; j < N; j++) {
      for (int r = 0; r < 4; r++) {
        const f32 *a = A + (i + r) * sai;
        f32 s = C[(i + r) * N + j];
        for (int p = 0; p < K; p++) s += a[p * sap] * B[p * N + j];
        C[(i + r) * N + j] = s;
      }
    }
  }
  for (; i < M; i++) {
    const f32 *a = A + i * sai;
    int j = 0;
    for (; j + 8 <= N; j += 8) {
      f32 *c = C + i * N + j;
      v128_t c0 = wasm_v128_load(c), c1 = wasm_v128_load(c + 4);
      const f32 *b = B + j;
      for (int p = 0; p < K; p++, b += N) {
        v128_t x = wasm_f32x4_splat(a[p * sap]);
        c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(x, wasm_v128_load(b)));
        c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(x, wasm_v128_load(b + 4)));
      }
      wasm_v128_store(c, c0); wasm_v128_store(c + 4, c1);
    }
    for (; j < N; j++) {
      f32 s = C[i * N + j];
      for (int p = 0; p < K; p++) s += a[p * sap] * B[p * N + j];
      C[i * N + j] = s;
    }
  }
}

static void transpose(int rows, int cols, const f32 *src, f32 *dst) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}

static void fill_rows(int rows, int cols, const f32 *row, f32 *dst) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) dst[r * cols + c] = row[c];
}

/*
 * One LSTM step's gate arithmetic for B rows: `a` holds the gate pre-activations [B,4H] and gets
 * the activations i, f, g, o (kept for the backward pass); c = f*cprev + i*g (cprev null: zero
 * state), tc = tanh(c), h = o*tc.
 */
static void cell(int B, int H, f32 *a, const f32 *cprev, f32 *c, f32 *tc, f32 *h) {
  int G = 4 * H;
  for (int b = 0; b < B; b++) {
    f32 *ai = a + b * G, *af = ai + H, *ag = af + H, *ao = ag + H;
    f32 *cb = c + b * H, *hb = h + b * H, *tb = tc + b * H;
    const f32 *cp = cprev ? cprev + b * H : 0;
    int j = 0;
    for (; j + 4 <= H; j += 4) {
      v128_t i4 = vsigmoid(wasm_v128_load(ai + j)), f4 = vsigmoid(wasm_v128_load(af + j));
      v128_t g4 = vtanh(wasm_v128_load(ag + j)), o4 = vsigmoid(wasm_v128_load(ao + j));
      v128_t c4 = wasm_f32x4_mul(i4, g4);
      if (cp) c4 = wasm_f32x4_add(wasm_f32x4_mul(f4, wasm_v128_load(cp + j)), c4);
      v128_t t4 = vtanh(c4);
      wasm_v128_store(ai + j, i4); wasm_v128_store(af + j, f4);
      wasm_v128_store(ag + j, g4); wasm_v128_store(ao + j, o4);
      wasm_v128_store(cb + j, c4); wasm_v128_store(tb + j, t4);
      wasm_v128_store(hb + j, wasm_f32x4_mul(o4, t4));
    }
    for (; j < H; j++) {
      f32 i1 = ssigmoid(ai[j]), f1 = ssigmoid(af[j]), g1 = stanh(ag[j]), o1 = ssigmoid(ao[j]);
      f32 c1 = i1 * g1;
      if (cp) c1 = f1 * cp[j] + c1;
      f32 t1 = stanh(c1);
      ai[j] = i1; af[j] = f1; ag[j] = g1; ao[j] = o1;
      cb[j] = c1; tb[j] = t1; hb[j] = o1 * t1;
    }
  }
}

/* probs [B,V] = softmax(h·Wo + bo). */
static void output(int V, int H, int B, const f32 *h, const f32 *Wo, const f32 *bo, f32 *probs) {
  fill_rows(B, V, bo, probs);
  gemm(B, V, H, h, H, 1, Wo, probs, 1);
  for (int b = 0; b < B; b++) {
    f32 *p = probs + b * V;
    f32 m = p[0];
    for (int v = 1; v < V; v++) m = p[v] > m ? p[v] : m;
    f32 s = 0.0f;
    for (int v = 0; v < V; v++) s += (p[v] = sexp(p[v] - m));
    f32 inv = 1.0f / s;
    for (int v = 0; v < V; v++) p[v] *= inv;
  }
}

/* The input half of the gates, one row per token: T [V,4H] = embedding · kernel + bias. */
static void token_table(int V, int E, int G, const f32 *emb, const f32 *K, const f32 *bias, f32 *T) {
  fill_rows(V, G, bias, T);
  gemm(V, G, E, emb, E, 1, K, T, 1);
}

/* Workspace offsets (floats) from the sizes; `save` keeps every step's states for the backward pass. */
typedef struct {
  int T, RT, WoT, KT, hs, cs, acts, tcs, dh, dc, dT, probs, end;
} Layout;

static Layout layout(int V, int E, int H, int n, int B, int save) {
  Layout L;
  int G = 4 * H, steps = save ? n : 1, states = save ? n + 1 : 2;
  L.T = 0;
  L.RT = L.T + V * G;
  L.WoT = L.RT + G * H;
  L.KT = L.WoT + V * H;
  L.hs = L.KT + G * E;
  L.cs = L.hs + states * B * H;
  L.acts = L.cs + states * B * H;
  L.tcs = L.acts + steps * B * G;
  L.dh = L.tcs + steps * B * H;
  L.dc = L.dh + B * H;
  L.dT = L.dc + B * H;
  L.probs = L.dT + V * G;
  L.end = L.probs + B * V;
  return L;
}

/* Floats of workspace that lstm_forward / lstm_backward need. */
EXPORT(lstm_workspace) int lstm_workspace(int V, int E, int H, int n, int B, int save) { return layout(V, E, H, n, B, save).end; }

/* Float offset of the [B,V] probabilities (then the output gradient, see lstm_backward) in the workspace. */
EXPORT(lstm_probs_offset) int lstm_probs_offset(int V, int E, int H, int n, int B, int save) { return layout(V, E, H, n, B, save).probs; }

/*
 * Forward pass of B windows: softmax probabilities [B,V] at the workspace's probs offset. The
 * input half of the gates is a [V,4H] table (embedding · kernel + bias), one row per token: a
 * one-hot input times the embedding is a row lookup.
 */
EXPORT(lstm_forward) void lstm_forward(const f32 *P, int V, int E, int H, int n, int B, const int *X, f32 *ws, int save) {
  Layout L = layout(V, E, H, n, B, save);
  int G = 4 * H;
  const f32 *emb = P, *K = emb + V * E, *R = K + E * G, *bias = R + H * G, *Wo = bias + G, *bo = Wo + H * V;
  f32 *T = ws + L.T;
  token_table(V, E, G, emb, K, bias, T);
  f32 *hprev = 0, *cprev = 0;
  for (int t = 0; t < n; t++) {
    f32 *a = ws + L.acts + (save ? t : 0) * B * G;
    f32 *tc = ws + L.tcs + (save ? t : 0) * B * H;
    f32 *h = ws + L.hs + (save ? t + 1 : (t + 1) & 1) * B * H;
    f32 *c = ws + L.cs + (save ? t + 1 : (t + 1) & 1) * B * H;
    for (int b = 0; b < B; b++) {
      const f32 *row = T + X[b * n + t] * G;
      for (int j = 0; j < G; j++) a[b * G + j] = row[j];
    }
    if (t > 0) gemm(B, G, H, hprev, H, 1, R, a, 1);
    cell(B, H, a, t > 0 ? cprev : 0, c, tc, h);
    hprev = h;
    cprev = c;
  }
  output(V, H, B, hprev, Wo, bo, ws + L.probs);
}

/*
 * Backward pass after lstm_forward(save = 1) on the same P, X and workspace, with the gradient of
 * the loss with respect to the logits written over the probabilities. Adds the gradient of every
 * parameter to Gr (same layout as P).
 */
EXPORT(lstm_backward) void lstm_backward(const f32 *P, f32 *Gr, int V, int E, int H, int n, int B, const int *X, f32 *ws) {
  Layout L = layout(V, E, H, n, B, 1);
  int G = 4 * H;
  const f32 *emb = P, *K = emb + V * E, *R = K + E * G, *Wo = R + H * G + G;
  f32 *gEmb = Gr, *gK = gEmb + V * E, *gR = gK + E * G, *gb = gR + H * G, *gWo = gb + G, *gbo = gWo + H * V;
  f32 *dlog = ws + L.probs, *dh = ws + L.dh, *dc = ws + L.dc, *dT = ws + L.dT;
  f32 *RT = ws + L.RT, *WoT = ws + L.WoT, *KT = ws + L.KT;
  const f32 *hn = ws + L.hs + n * B * H;
  gemm(H, V, B, hn, 1, H, dlog, gWo, 1);
  for (int b = 0; b < B; b++)
    for (int v = 0; v < V; v++) gbo[v] += dlog[b * V + v];
  transpose(H, V, Wo, WoT);
  gemm(B, H, V, dlog, V, 1, WoT, dh, 0);
  transpose(H, G, R, RT);
  for (int k = 0; k < B * H; k++) dc[k] = 0.0f;
  for (int k = 0; k < V * G; k++) dT[k] = 0.0f;
  v128_t one = wasm_f32x4_splat(1.0f);
  for (int t = n - 1; t >= 0; t--) {
    f32 *a = ws + L.acts + t * B * G;
    const f32 *tc = ws + L.tcs + t * B * H;
    const f32 *cprev = ws + L.cs + t * B * H; /* c_{t-1}; zeros at t = 0 are never written, so skip reads */
    for (int b = 0; b < B; b++) {
      f32 *ai = a + b * G, *af = ai + H, *ag = af + H, *ao = ag + H;
      f32 *dhb = dh + b * H, *dcb = dc + b * H;
      const f32 *tb = tc + b * H, *cp = cprev + b * H;
      int j = 0;
      for (; j + 4 <= H; j += 4) {
        v128_t i4 = wasm_v128_load(ai + j), f4 = wasm_v128_load(af + j), g4 = wasm_v128_load(ag + j), o4 = wasm_v128_load(ao + j);
        v128_t t4 = wasm_v128_load(tb + j), dh4 = wasm_v128_load(dhb + j);
        v128_t c4 = t > 0 ? wasm_v128_load(cp + j) : wasm_f32x4_splat(0.0f);
        v128_t do4 = wasm_f32x4_mul(dh4, t4);
        v128_t dc4 = wasm_f32x4_add(wasm_v128_load(dcb + j), wasm_f32x4_mul(wasm_f32x4_mul(dh4, o4), wasm_f32x4_sub(one, wasm_f32x4_mul(t4, t4))));
        v128_t dai = wasm_f32x4_mul(wasm_f32x4_mul(dc4, g4), wasm_f32x4_mul(i4, wasm_f32x4_sub(one, i4)));
        v128_t daf = wasm_f32x4_mul(wasm_f32x4_mul(dc4, c4), wasm_f32x4_mul(f4, wasm_f32x4_sub(one, f4)));
        v128_t dag = wasm_f32x4_mul(wasm_f32x4_mul(dc4, i4), wasm_f32x4_sub(one, wasm_f32x4_mul(g4, g4)));
        v128_t dao = wasm_f32x4_mul(do4, wasm_f32x4_mul(o4, wasm_f32x4_sub(one, o4)));
        wasm_v128_store(dcb + j, wasm_f32x4_mul(dc4, f4));
        wasm_v128_store(ai + j, dai); wasm_v128_store(af + j, daf);
        wasm_v128_store(ag + j, dag); wasm_v128_store(ao + j, dao);
      }
      for (; j < H; j++) {
        f32 i1 = ai[j], f1 = af[j], g1 = ag[j], o1 = ao[j], t1 = tb[j], d1 = dhb[j];
        f32 c1 = t > 0 ? cp[j] : 0.0f;
        f32 dcj = dcb[j] + d1 * o1 * (1.0f - t1 * t1);
        dcb[j] = dcj * f1;
        ai[j] = dcj * g1 * (i1 * (1.0f - i1));
        af[j] = dcj * c1 * (f1 * (1.0f - f1));
        ag[j] = dcj * i1 * (1.0f - g1 * g1);
        ao[j] = d1 * t1 * (o1 * (1.0f - o1));
      }
    }
    /* a now holds the gradient of the gate pre-activations. */
    for (int b = 0; b < B; b++) {
      f32 *row = dT + X[b * n + t] * G;
      const f32 *d = a + b * G;
      for (int j = 0; j < G; j++) row[j] += d[j];
    }
    if (t > 0) {
      gemm(H, G, B, ws + L.hs + t * B * H, 1, H, a, gR, 1);
      gemm(B, H, G, a, G, 1, RT, dh, 0);
    }
  }
  for (int v = 0; v < V; v++)
    for (int j = 0; j < G; j++) gb[j] += dT[v * G + j];
  gemm(E, G, V, emb, 1, E, dT, gK, 1);
  transpose(E, G, K, KT);
  gemm(V, E, G, dT, G, 1, KT, gEmb, 1);
}

/* Nodes of a prefix-tree level computed per block: the block's gates [TRIE_BLOCK,4H] stay in cache. */
#define TRIE_BLOCK 256

/* Floats of workspace that lstm_forward_trie needs for R windows; the probabilities [R,V] come first. */
EXPORT(lstm_trie_workspace) int lstm_trie_workspace(int V, int E, int H, int R) {
  return R * V + V * 4 * H + 4 * R * H + TRIE_BLOCK * (4 * H + 3 * H);
}

/*
 * Forward pass of R distinct windows sorted in lexicographic order, over their prefix tree: a
 * prefix shared by several windows is computed once. Level t holds counts[t] nodes (the distinct
 * prefixes of length t+1); node k of level t has token token[k] and, for t > 0, parent node
 * parent[k] of level t-1 (both arrays concatenated over the levels); level n-1 is the R windows in
 * order. Each node runs exactly the arithmetic of its windows' own step in lstm_forward, so the
 * probabilities [R,V] (at the workspace's start) are the same bits.
 */
EXPORT(lstm_forward_trie) void lstm_forward_trie(const f32 *P, int V, int E, int H, int n, const int *counts, const int *parent, const int *token, f32 *ws) {
  int G = 4 * H, R = counts[n - 1];
  const f32 *emb = P, *K = emb + V * E, *Rk = K + E * G, *bias = Rk + H * G, *Wo = bias + G, *bo = Wo + H * V;
  f32 *probs = ws, *T = probs + R * V;
  f32 *hp = T + V * G, *cp = hp + R * H, *hn = cp + R * H, *cn = hn + R * H;
  f32 *a = cn + R * H, *hg = a + TRIE_BLOCK * G, *cg = hg + TRIE_BLOCK * H, *tc = cg + TRIE_BLOCK * H;
  token_table(V, E, G, emb, K, bias, T);
  int at = 0;
  for (int t = 0; t < n; t++) {
    int N = counts[t];
    for (int from = 0; from < N; from += TRIE_BLOCK) {
      int B = N - from < TRIE_BLOCK ? N - from : TRIE_BLOCK;
      for (int b = 0; b < B; b++) {
        const f32 *row = T + token[at + from + b] * G;
        for (int j = 0; j < G; j++) a[b * G + j] = row[j];
      }
      if (t > 0) {
        for (int b = 0; b < B; b++) {
          int q = parent[at + from + b];
          for (int j = 0; j < H; j++) {
            hg[b * H + j] = hp[q * H + j];
            cg[b * H + j] = cp[q * H + j];
          }
        }
        gemm(B, G, H, hg, H, 1, Rk, a, 1);
      }
      cell(B, H, a, t > 0 ? cg : 0, cn + from * H, tc, hn + from * H);
    }
    at += N;
    f32 *x = hp; hp = hn; hn = x;
    x = cp; cp = cn; cn = x;
  }
  output(V, H, R, hp, Wo, bo, probs);
}
