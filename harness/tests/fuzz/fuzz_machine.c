/* libFuzzer: the machine.csv reader (cached machine ceilings). */
#include <stdint.h>
#include <stdlib.h>

#include "../../machine.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    if (!fk_fuzz_file("machine.csv", data, size, path, sizeof path))
        return 0;
    struct fk_machine *m = calloc(1, sizeof *m);
    if (!m)
        return 0;
    struct fk_err e;
    /* the seed's key, so well-formed inputs get past the key check */
    fk_machine_load(m, path, "fuzz-key", &e);
    free(m);
    return 0;
}
