/* libFuzzer: the .npy reader. */
#include <stdint.h>

#include "../../npy.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    if (!fk_fuzz_file("a.npy", data, size, path, sizeof path))
        return 0;
    struct fk_npy a;
    struct fk_err e;
    if (fk_npy_read(path, &a, &e) == 0)
        fk_npy_free(&a);
    return 0;
}
