/* codec/common/xiph_lacing.c - see xiph_lacing.h. */
#include "xiph_lacing.h"

int segue_xiph_unlace3(const uint8_t *x, size_t n, const uint8_t *pk[3], size_t len[3])
{
    if (!x || n < 1 || x[0] != 2)
        return 0;
    size_t k = 1;
    for (int i = 0; i < 2; i++) {
        len[i] = 0;
        for (;;) {
            if (k >= n)
                return 0;
            uint8_t v = x[k++];
            len[i] += v;
            if (v < 255)
                break;
        }
    }
    if (len[0] > n - k || len[1] > n - k - len[0])
        return 0;
    pk[0] = x + k;
    pk[1] = pk[0] + len[0];
    pk[2] = pk[1] + len[1];
    len[2] = n - k - len[0] - len[1];
    return 1;
}
