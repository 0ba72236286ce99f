/* libFuzzer target: the chunked decoder, fed whole and byte by byte. The
 * two feeds must agree on the verdict, the consumed length and the data. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes p; returns 1 done, 0 need more, -1 error; data appended to out. */
static int decode(const char *p, size_t n, size_t step, char *out, size_t *out_n,
		  size_t *used)
{
	struct chunk_dec d;
	chunk_init(&d);
	size_t i = 0;
	*out_n = 0;
	while (i < n && !chunk_done(&d)) {
		size_t len = n - i < step ? n - i : step;
		struct span s;
		ssize_t r = chunk_decode(&d, p + i, len, &s);
		if (r < 0) {
			*used = i;
			return -1;
		}
		assert(r > 0 && (size_t)r <= len);
		assert(s.n == 0 || (s.p == p + i && s.n == (size_t)r));
		memcpy(out + *out_n, s.p, s.n);
		*out_n += s.n;
		i += (size_t)r;
	}
	*used = i;
	return chunk_done(&d) ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *a = malloc(size + 1), *b = malloc(size + 1);
	size_t an, bn, au, bu;
	int ra = decode((const char *)data, size, size ? size : 1, a, &an, &au);
	int rb = decode((const char *)data, size, 1, b, &bn, &bu);
	assert(ra == rb);
	if (ra >= 0) {
		assert(au == bu && an == bn && memcmp(a, b, an) == 0);
		assert(an <= au);
	}
	free(a);
	free(b);
	return 0;
}
