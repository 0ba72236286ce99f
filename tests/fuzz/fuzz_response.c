/* libFuzzer target: the response-head parser. */
#include <assert.h>
#include <stdint.h>

#include "h1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct h1_response resp;
	size_t scan = 0;
	ssize_t r = h1_parse_response((const char *)data, size, &scan, 8192,
				      size > 0 && (data[0] & 1), &resp);
	if (r > 0) {
		assert((size_t)r <= size);
		assert(resp.status >= 100 && resp.status <= 999);
		if (resp.status < 200 || resp.status == 204 || resp.status == 304)
			assert(resp.body == H1_BODY_NONE);
	}
	return 0;
}
