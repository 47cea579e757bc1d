/* Measures the fp32 peak that `glit bench` derives from /proc/cpuinfo (cores × clock × lanes ×
 * FMA units × 2), by running nothing but independent fused multiply-adds on every core.
 *
 *   gcc -O2 -march=native -pthread bench/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak
 *
 * Each thread keeps 12 chains of vector FMAs in flight (enough to cover two FMA units of
 * four cycles' latency), so the figure is the cores' FMA throughput at the clock they hold
 * under AVX-512 (or AVX2) load. Prints GFLOP/s for 1 and for all threads, both widths. */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define CHAINS 12
static long rounds = 100000000L;
static int width = 512;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

__attribute__((target("avx512f"))) static float chains512(void) {
  __m512 a[CHAINS], b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < CHAINS; i++) a[i] = _mm512_set1_ps((float)i);
  for (long n = 0; n < rounds; n++)
#pragma GCC unroll 12
    for (int i = 0; i < CHAINS; i++) a[i] = _mm512_fmadd_ps(a[i], b, c);
  float s = 0;
  for (int i = 0; i < CHAINS; i++) s += _mm512_reduce_add_ps(a[i]);
  return s;
}

__attribute__((target("avx2,fma"))) static float chains256(void) {
  __m256 a[CHAINS], b = _mm256_set1_ps(1.0000001f), c = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < CHAINS; i++) a[i] = _mm256_set1_ps((float)i);
  for (long n = 0; n < rounds; n++)
#pragma GCC unroll 12
    for (int i = 0; i < CHAINS; i++) a[i] = _mm256_fmadd_ps(a[i], b, c);
  float lanes[8], s = 0;
  for (int i = 0; i < CHAINS; i++) {
    _mm256_storeu_ps(lanes, a[i]);
    for (int j = 0; j < 8; j++) s += lanes[j];
  }
  return s;
}

static void *run(void *out) {
  /* The sum is kept so the compiler cannot drop the chains. */
  *(float *)out = width == 512 ? chains512() : chains256();
  return NULL;
}

static void measure(int threads) {
  pthread_t id[64];
  float sums[64];
  double start = now();
  for (int i = 0; i < threads; i++) pthread_create(&id[i], NULL, run, &sums[i]);
  for (int i = 0; i < threads; i++) pthread_join(id[i], NULL);
  double seconds = now() - start;
  double flops = (double)threads * rounds * CHAINS * (width / 32) * 2;
  printf("%2d thread(s), %d-bit FMAs: %6.1f GFLOP/s\n", threads, width, flops / seconds / 1e9);
}

int main(void) {
  int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (cores > 64) cores = 64;
  int widths[2] = {512, 256};
  for (int w = 0; w < 2; w++) {
    width = widths[w];
    if (width == 512 && !__builtin_cpu_supports("avx512f")) continue;
    if (width == 256 && !__builtin_cpu_supports("fma")) continue;
    measure(1);
    measure(cores);
  }
  return 0;
}
